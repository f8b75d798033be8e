/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

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

/* How rss.c reads a real port: the two ethdev calls it needs. */
struct port_dev {
	uint16_t port_id;
	uint8_t hash_key_size;   /* rte_eth_dev_info.hash_key_size, 0 if unknown */
};

static int
port_key_get(void *ctx, uint8_t *key, uint8_t *key_len)
{
	const struct port_dev *d = ctx;
	struct rte_eth_rss_conf rc;
	int rc_get;

	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key;
	rc.rss_key_len = *key_len;
	rc_get = rte_eth_dev_rss_hash_conf_get(d->port_id, &rc);
	if (rc_get != 0)
		return rc_get;
	/*
	 * Some drivers (ixgbe, null) copy the key and leave the length as
	 * they found it: the device's own key size is then the length. When
	 * the device does not say (null reports hash_key_size 0), 40 bytes:
	 * the Toeplitz hash of a TCP tuple, IPv6 included, reads no further.
	 */
	if (rc.rss_key_len == *key_len)
		rc.rss_key_len = d->hash_key_size != 0 ? d->hash_key_size : MPN_RSS_KEY_MIN;
	*key_len = rc.rss_key_len;
	return 0;
}

static int
port_reta_query(void *ctx, struct rte_eth_rss_reta_entry64 *conf, uint16_t reta_size)
{
	const struct port_dev *d = ctx;

	return rte_eth_dev_rss_reta_query(d->port_id, conf, reta_size);
}

/* Which key a port ended up with, in words (never the key itself). */
static const char *
key_kind(const struct mpn_rss_map *m, const struct mpn_ports *ports)
{
	uint8_t k[MPN_RSS_KEY_MAX];

	mpn_rss_key_6d5a(k, sizeof(k));
	if (memcmp(m->key, k, m->key_len) == 0)
		return "0x6d5a";
	if (ports->random_key && memcmp(m->key, ports->key, m->key_len) == 0)
		return "random";
	return "the device's own";
}

/*
 * Ask the device for the symmetric Toeplitz function on TCP over IPv4 and
 * IPv6 (rte_flow RSS action; ice, i40e, iavf, hns3 and others in 22.11).
 * The key and the queues stay the port's: ice and i40e refuse a key or a
 * queue list in a rule that has a pattern, and use the port's key and
 * RETA, which is what is read back and checked afterwards. Both rules or
 * none: a model that is right for IPv4 only would be wrong.
 *
 * @return 0, or a negative errno with the driver's message in @p why
 */
static int
symmetric_flows_create(uint16_t pid, char *why, size_t whylen)
{
	static const uint64_t types[2] = {
		RTE_ETH_RSS_NONFRAG_IPV4_TCP, RTE_ETH_RSS_NONFRAG_IPV6_TCP,
	};
	struct rte_flow_attr attr;
	struct rte_flow_item pattern[4];
	struct rte_flow_action_rss rss;
	struct rte_flow_action actions[2];
	struct rte_flow_error ferr;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.ingress = 1;
		memset(pattern, 0, sizeof(pattern));
		pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
		pattern[1].type = i == 0 ? RTE_FLOW_ITEM_TYPE_IPV4 : RTE_FLOW_ITEM_TYPE_IPV6;
		pattern[2].type = RTE_FLOW_ITEM_TYPE_TCP;
		pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
		memset(&rss, 0, sizeof(rss));
		rss.func = RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ;
		rss.types = types[i];
		memset(actions, 0, sizeof(actions));
		actions[0].type = RTE_FLOW_ACTION_TYPE_RSS;
		actions[0].conf = &rss;
		actions[1].type = RTE_FLOW_ACTION_TYPE_END;
		memset(&ferr, 0, sizeof(ferr));
		rte_errno = 0;
		if (rte_flow_validate(pid, &attr, pattern, actions, &ferr) != 0 ||
				rte_flow_create(pid, &attr, pattern, actions, &ferr) == NULL) {
			int e = rte_errno != 0 ? rte_errno : ENOTSUP;

			snprintf(why, whylen, "%s rule refused: %s", i == 0 ? "IPv4" : "IPv6",
				ferr.message != NULL ? ferr.message : rte_strerror(e));
			rte_flow_flush(pid, &ferr);
			return -e;
		}
	}
	return 0;
}

/*
 * Spread the RETA over the queues round-robin, as most drivers do by
 * default but not all (net_null leaves every entry on queue 0), so the
 * spread does not depend on a driver's choice and every port of a link
 * holds the same table. A driver that refuses (many VFs) keeps its own;
 * the table read back afterwards is what counts.
 */
static void
reta_spread(uint16_t pid, uint16_t reta_size, uint16_t nq)
{
	struct rte_eth_rss_reta_entry64 conf[MPN_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;

	if (reta_size == 0 || reta_size > MPN_RSS_RETA_MAX)
		return;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % nq);
	}
	rte_eth_dev_rss_reta_update(pid, conf, reta_size);
}

/*
 * Set up and check a port's RSS (nq > 1, the device hashes):
 *  1. the port was configured with the random key when there is one;
 *  2. ask for the symmetric Toeplitz function; without it, fall back to
 *     the 0x6d5a key, symmetric with plain Toeplitz (but see rss.h for
 *     how unevenly it spreads);
 *  3. read the key and the RETA back and place sample flows both ways in
 *     software. Only then is the port trusted.
 * Any failure is a reason in the placement note and handoff mode, never
 * a failed start.
 */
static void
rss_setup(struct mpn_ports *ports, unsigned int idx, uint16_t pid,
	const struct rte_eth_dev_info *info, uint64_t rss_hf, uint16_t nq)
{
	struct port_dev pd = { pid, info->hash_key_size };
	struct mpn_rss_dev dev = { &pd, port_key_get, port_reta_query };
	const struct mpn_rss_map *one[1] = { &ports->rss[idx] };
	enum mpn_rss_func func = MPN_RSS_FUNC_TOEPLITZ;
	char *note = ports->placement_note[idx];
	size_t n = sizeof(ports->placement_note[idx]);
	char why[160], fallback[200] = "";
	int rc;

	if (ports->random_key) {
		rc = symmetric_flows_create(pid, why, sizeof(why));
		if (rc == 0) {
			func = MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ;
			ports->flows[idx] = 1;
		} else {
			struct rte_eth_rss_conf rc6;
			uint8_t key[MPN_RSS_KEY_MAX];

			snprintf(fallback, sizeof(fallback), "no symmetric hash function (%s); ",
				why);
			mpn_rss_key_6d5a(key, sizeof(key));
			memset(&rc6, 0, sizeof(rc6));
			rc6.rss_key = key;
			rc6.rss_key_len = info->hash_key_size != 0 ? info->hash_key_size :
				MPN_RSS_KEY_MIN;
			rc6.rss_hf = rss_hf;
			rc = rte_eth_dev_rss_hash_update(pid, &rc6);
			if (rc != 0)
				snprintf(fallback, sizeof(fallback), "no symmetric hash function, "
					"and the 0x6d5a key cannot be set (%s); ", rte_strerror(-rc));
		}
	}
	reta_spread(pid, info->reta_size, nq);
	rc = mpn_rss_map_read(&dev, info->reta_size, nq, func, &ports->rss[idx], why,
		sizeof(why));
	if (rc != 0) {
		snprintf(note, n, "%s%s", fallback, why);
		return;
	}
	if (mpn_rss_check_symmetric(one, 1, why, sizeof(why)) != 0) {
		snprintf(note, n, "%s%s with the key read back: %s", fallback,
			mpn_rss_func_name(func), why);
		return;
	}
	ports->has_rss[idx] = 1;
	ports->symmetric[idx] = 1;
	snprintf(note, n, "%ssymmetric RSS verified (%s, %s key, %u-entry RETA over %u "
		"queues): %s", fallback, mpn_rss_func_name(func),
		key_kind(&ports->rss[idx], ports), ports->rss[idx].reta_size, nq, why);
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
	uint8_t key_6d5a[MPN_RSS_KEY_MAX];
	int socket = rte_eth_dev_socket_id(port_id);
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	mpn_rss_key_6d5a(key_6d5a, sizeof(key_6d5a));
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
		/*
		 * The random key goes in first: ice resets a rule's function
		 * when the key is changed later (ice_rss_hash_update), so the
		 * symmetric rules come after it (rss_setup()).
		 */
		if (info.hash_key_size >= MPN_RSS_KEY_MIN &&
				info.hash_key_size <= MPN_RSS_KEY_MAX) {
			conf.rx_adv_conf.rss_conf.rss_key = ports->random_key ? ports->key :
				key_6d5a;
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
		 * The kernel's fanout hash is symmetric, but DPDK 22.11's PMD
		 * joins the fanout group with PACKET_FANOUT_HASH |
		 * PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_ROLLOVER
		 * (0x9000 << 16 in librte_net_af_packet.so.23): when the chosen
		 * socket's ring is full, the kernel rolls the packet over to
		 * another queue, so under load one subflow reaches two workers.
		 * The PMD has no devarg to turn rollover off.
		 */
		snprintf(ports->placement_note[idx], sizeof(ports->placement_note[idx]),
			"af_packet fanout rolls packets over to another queue when one is full "
			"(PACKET_FANOUT_FLAG_ROLLOVER), so placement is not symmetric under load");
	} else if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		rss_setup(ports, idx, port_id, &info, conf.rx_adv_conf.rss_conf.rss_hf, nq);
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

/* The in-use ports' maps, when every one of them has one. */
static unsigned int
rss_maps(const struct mpn_ports *ports, const struct mpn_rss_map **maps, int *missing)
{
	unsigned int i, n = 0;

	*missing = -1;
	for (i = 0; i < ports->n; i++) {
		if (!ports->in_use[i])
			continue;
		if (!ports->has_rss[i] || !ports->symmetric[i]) {
			if (*missing < 0)
				*missing = (int)i;
			continue;
		}
		maps[n++] = &ports->rss[i];
	}
	return n;
}

/*
 * Each port was checked on its own; a flow also crosses from one port to
 * its peer, so every port must place it on the same queue. Ports whose
 * tables differ (other sizes with a queue count that divides neither, or
 * a table an operator changed) are not trusted.
 */
static void
cross_check(const struct mpn_config *cfg, struct mpn_ports *ports)
{
	const struct mpn_rss_map *maps[MPN_CONFIG_MAX_PORTS];
	char why[200];
	unsigned int i, n;
	int missing;

	n = rss_maps(ports, maps, &missing);
	if (n < 2 || missing >= 0 || mpn_rss_check_symmetric(maps, n, why, sizeof(why)) == 0)
		return;
	for (i = 0; i < ports->n; i++) {
		if (!ports->in_use[i] || !ports->has_rss[i])
			continue;
		ports->symmetric[i] = 0;
		snprintf(ports->placement_note[i], sizeof(ports->placement_note[i]),
			"the ports place flows differently: %s", why);
		printf("mpnorm: port '%s': %s\n", cfg->ports[i].name, ports->placement_note[i]);
	}
}

int
mpn_ports_start(const struct mpn_config *cfg, struct rte_mempool *mp,
	struct mpn_ports *ports, char *err, size_t errlen)
{
	unsigned int i;

	memset(ports, 0, sizeof(*ports));
	/*
	 * One random key for every port: a flow enters on one port and its
	 * reply on another, and both must pick the same queue.
	 */
	ports->random_key = mpn_rss_key_random(ports->key, sizeof(ports->key)) == 0;
	if (!ports->random_key)
		printf("mpnorm: warning: no random source for an RSS key; using the 0x6d5a "
			"key\n");
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
	cross_check(cfg, ports);
	return 0;
}

const struct mpn_rss_map *
mpn_ports_rss_map(const struct mpn_ports *ports, char *why, size_t whylen)
{
	const struct mpn_rss_map *maps[MPN_CONFIG_MAX_PORTS];
	unsigned int n;
	int missing;

	n = rss_maps(ports, maps, &missing);
	if (missing >= 0) {
		snprintf(why, whylen, "port %d has no checked RSS placement", missing);
		return NULL;
	}
	if (n == 0) {
		snprintf(why, whylen, "no port");
		return NULL;
	}
	if (mpn_rss_check_symmetric(maps, n, why, whylen) != 0)
		return NULL;
	return maps[0];
}

void
mpn_ports_stop(struct mpn_ports *ports)
{
	unsigned int i;

	for (i = 0; i < ports->n; i++) {
		if (!ports->started[i])
			continue;
		if (ports->flows[i]) {
			struct rte_flow_error ferr;

			rte_flow_flush(ports->port_id[i], &ferr);
		}
		rte_eth_dev_stop(ports->port_id[i]);
		rte_eth_dev_close(ports->port_id[i]);
		ports->started[i] = 0;
	}
	/* The random key decided where an attacker's flows would land. */
	memset(ports->key, 0, sizeof(ports->key));
	memset(ports->rss, 0, sizeof(ports->rss));
}
