/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "ports.h"

/*
 * Find the DPDK port for a configured device name. PCI devices and --vdev
 * devices are found by name once the EAL has probed them; a port with
 * `devargs` in the config is probed here, so a config file can describe an
 * af_packet or pcap setup on its own without a long EAL command line.
 */
static int
port_resolve(const struct mpn_config *cfg, const struct mpn_config_port *cp,
	uint16_t *port_id, char *err, size_t errlen)
{
	char spec[MPN_CONFIG_NAME_MAX + MPN_CONFIG_DEVARGS_MAX + 2];
	int rc;

	if (rte_eth_dev_get_port_by_name(cp->name, port_id) == 0)
		return 0;
	if (cp->devargs[0] != '\0') {
		snprintf(spec, sizeof(spec), "%s,%s", cp->name, cp->devargs);
		rc = rte_dev_probe(spec);
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: port '%s': probing \"%s\" failed (%s). "
				"Check the devargs and that the device or interface exists.",
				cfg->path, cp->line, cp->name, spec, rte_strerror(-rc));
			return -1;
		}
		if (rte_eth_dev_get_port_by_name(cp->name, port_id) == 0)
			return 0;
	}
	snprintf(err, errlen, "%s:%d: port '%s': no DPDK device by that name. "
		"For a NIC, bind it to vfio-pci and allow it with -a %s; for a virtual "
		"device, pass --vdev %s,... to the EAL or set devargs in the config. "
		"'dpdk-devbind.py --status' lists the NICs DPDK can use.",
		cfg->path, cp->line, cp->name, cp->name, cp->name);
	return -1;
}

/*
 * The symmetric Toeplitz key: with 0x6d5a repeated, swapping source and
 * destination (addresses and ports) leaves the hash unchanged, so both
 * directions of a flow pick the same RETA entry (Woo and Park, "Scalable
 * TCP Session Monitoring with Symmetric Receive-side Scaling").
 */
static uint8_t symmetric_key[52];

static void
symmetric_key_init(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(symmetric_key); i++)
		symmetric_key[i] = (i & 1) ? 0x5a : 0x6d;
}

/*
 * Check what the device really does: read its key and RETA back and compute,
 * in software, the queue of both directions of sample flows (IPv4 and IPv6,
 * TCP). A device that cannot report its key or RETA is not trusted.
 */
static bool
rss_is_symmetric(uint16_t pid, uint16_t nq, char *note, size_t n)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	struct rte_eth_rss_conf rc;
	uint8_t key[64];
	unsigned int i, g, samples = 0;

	if (rte_eth_dev_info_get(pid, &info) != 0 || info.reta_size == 0 ||
			info.reta_size > RTE_ETH_RSS_RETA_SIZE_512) {
		snprintf(note, n, "no readable RETA");
		return false;
	}
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key;
	rc.rss_key_len = sizeof(key);
	if (rte_eth_dev_rss_hash_conf_get(pid, &rc) != 0 || rc.rss_key_len < 40) {
		snprintf(note, n, "the RSS key cannot be read back");
		return false;
	}
	memset(reta, 0, sizeof(reta));
	for (g = 0; g < info.reta_size / RTE_ETH_RETA_GROUP_SIZE; g++)
		reta[g].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(pid, reta, info.reta_size) != 0) {
		snprintf(note, n, "the RETA cannot be read back");
		return false;
	}
	for (i = 0; i < 256; i++) {
		/* rte_softrss takes the tuple as host-order 32-bit words. */
		uint32_t fwd[RTE_THASH_V6_L4_LEN], rev[RTE_THASH_V6_L4_LEN];
		uint32_t words = (i & 1) ? RTE_THASH_V6_L4_LEN : RTE_THASH_V4_L4_LEN;
		uint32_t naddr = (i & 1) ? 4 : 1, k, h1, h2, e1, e2;
		uint32_t seed = i * 2654435761u;

		for (k = 0; k < naddr; k++) {
			fwd[k] = seed ^ (k * 0x9e3779b9u);
			fwd[naddr + k] = ~seed + k;
		}
		fwd[2 * naddr] = ((1024 + i) << 16) | (5000 + (i % 7));
		for (k = 0; k < naddr; k++) {
			rev[k] = fwd[naddr + k];
			rev[naddr + k] = fwd[k];
		}
		rev[2 * naddr] = (fwd[2 * naddr] << 16) | (fwd[2 * naddr] >> 16);
		h1 = rte_softrss(fwd, words, key);
		h2 = rte_softrss(rev, words, key);
		e1 = h1 % info.reta_size;
		e2 = h2 % info.reta_size;
		if (reta[e1 / RTE_ETH_RETA_GROUP_SIZE].reta[e1 % RTE_ETH_RETA_GROUP_SIZE] !=
				reta[e2 / RTE_ETH_RETA_GROUP_SIZE].reta[e2 % RTE_ETH_RETA_GROUP_SIZE]) {
			snprintf(note, n, "sample flow %u lands on two queues", i);
			return false;
		}
		samples++;
	}
	snprintf(note, n, "symmetric RSS verified: %u sample flows (IPv4 and IPv6), both "
		"directions on one of %u queues", samples, nq);
	return true;
}

static int
port_setup(const struct mpn_config *cfg, unsigned int idx, uint16_t port_id,
	struct rte_mempool *mp, struct mpn_ports *ports, char *err, size_t errlen)
{
	const struct mpn_config_port *cp = &cfg->ports[idx];
	uint16_t nq = (uint16_t)cfg->dataplane.workers;
	uint16_t nb_rxd = (uint16_t)cp->rx_desc, nb_txd = (uint16_t)cp->tx_desc;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txconf;
	int socket = rte_eth_dev_socket_id(port_id);
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': cannot read device info (%s)",
			cp->name, rte_strerror(-rc));
		return -1;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen, "%s:%d: port '%s' (%s) has %u RX and %u TX queues, "
			"but dataplane.workers = %u needs one of each per worker. "
			"Lower dataplane.workers to %u.",
			cfg->path, cp->line, cp->name, info.driver_name,
			info.max_rx_queues, info.max_tx_queues, nq,
			RTE_MIN(info.max_rx_queues, info.max_tx_queues));
		return -1;
	}
	/*
	 * Packets leave exactly as they came, from the same pool, one segment
	 * each: fast-free is safe wherever the PMD offers it.
	 */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		/* Hash on the TCP 4-tuple where the device can, for IPv4 and IPv6. */
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV6 |
			RTE_ETH_RSS_NONFRAG_IPV6_TCP);
		if (info.hash_key_size >= 40 && info.hash_key_size <= sizeof(symmetric_key)) {
			conf.rx_adv_conf.rss_conf.rss_key = symmetric_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		}
	}
	rc = rte_eth_dev_configure(port_id, nq, nq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: port '%s': configure with %u queues failed (%s)",
			cfg->path, cp->line, cp->name, nq, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': descriptor counts rejected (%s)",
			cp->name, rte_strerror(-rc));
		return -1;
	}
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket, NULL, mp);
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: port '%s': RX queue %u with %u descriptors "
				"failed (%s). Lower rx_desc, or raise dataplane.mbufs and the "
				"EAL memory (-m).", cfg->path, cp->line, cp->name, q, nb_rxd,
				rte_strerror(-rc));
			return -1;
		}
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket, &txconf);
		if (rc != 0) {
			snprintf(err, errlen, "%s:%d: port '%s': TX queue %u with %u descriptors "
				"failed (%s). Lower tx_desc.", cfg->path, cp->line, cp->name, q,
				nb_txd, rte_strerror(-rc));
			return -1;
		}
	}
	/* A bump in the wire forwards frames addressed to any MAC. */
	rc = rte_eth_promiscuous_enable(port_id);
	if (rc != 0 && rc != -ENOTSUP)
		printf("mpnorm: warning: port '%s': cannot enable promiscuous mode (%s); "
			"frames for other MACs may not arrive\n", cp->name, rte_strerror(-rc));
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: port '%s': start failed (%s)",
			cfg->path, cp->line, cp->name, rte_strerror(-rc));
		return -1;
	}
	/* Where does a flow's reply land? Decided once, logged, used for placement. */
	if (nq == 1) {
		ports->symmetric[idx] = 1;
		snprintf(ports->placement_note[idx], sizeof(ports->placement_note[idx]),
			"one queue");
	} else if (strcmp(info.driver_name, "net_af_packet") == 0) {
		/*
		 * PACKET_FANOUT_HASH uses the kernel's flow hash, which orders
		 * the endpoints first (__flow_hash_consistentify): symmetric.
		 */
		ports->symmetric[idx] = 1;
		snprintf(ports->placement_note[idx], sizeof(ports->placement_note[idx]),
			"kernel fanout hash (symmetric)");
	} else if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		ports->symmetric[idx] = rss_is_symmetric(port_id, nq, ports->placement_note[idx],
			sizeof(ports->placement_note[idx]));
	} else {
		snprintf(ports->placement_note[idx], sizeof(ports->placement_note[idx]),
			"no RSS (%s)", info.driver_name);
	}
	printf("mpnorm: port %u '%s' (%s): %u queue pair(s), %u/%u descriptors%s; %s\n",
		port_id, cp->name, info.driver_name, nq, nb_rxd, nb_txd,
		(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) ? ", fast-free" : "",
		ports->placement_note[idx]);
	return 0;
}

int
mpn_ports_start(const struct mpn_config *cfg, struct rte_mempool *mp,
	struct mpn_ports *ports, char *err, size_t errlen)
{
	unsigned int i;

	memset(ports, 0, sizeof(*ports));
	symmetric_key_init();
	ports->n = cfg->n_ports;
	for (i = 0; i < cfg->n_links; i++) {
		const struct mpn_config_link *l = &cfg->links[i];

		ports->in_use[l->inside] = 1;
		ports->in_use[l->outside] = 1;
		ports->peer[l->inside] = (uint16_t)l->outside;
		ports->peer[l->outside] = (uint16_t)l->inside;
		ports->link[l->inside] = (uint16_t)i;
		ports->link[l->outside] = (uint16_t)i;
		ports->is_outside[l->outside] = !l->one_armed;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		if (!ports->in_use[i]) {
			printf("mpnorm: warning: %s:%d: port '%s' belongs to no link and is "
				"left alone\n", cfg->path, cfg->ports[i].line, cfg->ports[i].name);
			continue;
		}
		if (port_resolve(cfg, &cfg->ports[i], &ports->port_id[i], err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		if (!ports->in_use[i])
			continue;
		if (port_setup(cfg, i, ports->port_id[i], mp, ports, err, errlen) != 0)
			return -1;
		ports->started[i] = 1;
	}
	return 0;
}

void
mpn_ports_stop(struct mpn_ports *ports)
{
	unsigned int i;

	for (i = 0; i < ports->n; i++) {
		if (!ports->started[i])
			continue;
		rte_eth_dev_stop(ports->port_id[i]);
		rte_eth_dev_close(ports->port_id[i]);
		ports->started[i] = 0;
	}
}
