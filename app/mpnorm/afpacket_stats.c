/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel af_packet ring losses, read from the PMD's own sockets (see afpacket_stats.h). */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include <rte_ethdev.h>

#include "afpacket_stats.h"

struct afp_port {
	bool is_afp;
	struct mpn_afpacket_ring_stats acc;   /**< accumulated since start */
	struct mpn_afpacket_ring_stats base;  /**< at the last clear */
};

static pthread_mutex_t afp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct afp_port afp[MPN_CONFIG_MAX_PORTS];
static unsigned int afp_n;

unsigned int
mpn_afpacket_stats_init(const struct mpn_ports *ports)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&afp_lock);
	memset(afp, 0, sizeof(afp));
	afp_n = ports->n;
	for (i = 0; i < ports->n && i < MPN_CONFIG_MAX_PORTS; i++) {
		struct rte_eth_dev_info info;

		if (!ports->started[i])
			continue;
		memset(&info, 0, sizeof(info));
		if (rte_eth_dev_info_get(ports->port_id[i], &info) != 0 ||
				info.driver_name == NULL ||
				strcmp(info.driver_name, "net_af_packet") != 0 || info.if_index == 0)
			continue;
		afp[i].is_afp = true;
		afp[i].acc.ifindex = (int)info.if_index;
		if (if_indextoname(info.if_index, afp[i].acc.ifname) == NULL)
			snprintf(afp[i].acc.ifname, sizeof(afp[i].acc.ifname), "if%u", info.if_index);
		n++;
	}
	pthread_mutex_unlock(&afp_lock);
	/*
	 * No first read to reset: what the kernel counted since the PMD opened
	 * its sockets (packets the workers will still receive, or drops while
	 * mpnorm started) belongs to the totals.
	 */
	return n;
}

static struct afp_port *
port_of_ifindex(int ifindex)
{
	unsigned int i;

	for (i = 0; i < afp_n; i++)
		if (afp[i].is_afp && afp[i].acc.ifindex == ifindex)
			return &afp[i];
	return NULL;
}

/* One descriptor: if it is an af_packet socket of one of our ports, read and add. */
static void
poll_fd(int fd, uint32_t *found)
{
	struct tpacket_stats st;
	struct sockaddr_ll sll;
	socklen_t len;
	struct afp_port *p;
	int domain;

	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET)
		return;
	len = sizeof(sll);
	memset(&sll, 0, sizeof(sll));
	if (getsockname(fd, (struct sockaddr *)&sll, &len) != 0)
		return;
	p = port_of_ifindex(sll.sll_ifindex);
	if (p == NULL)
		return;
	/*
	 * TPACKET_V2 sockets (the PMD's) answer with struct tpacket_stats;
	 * tp_packets already includes tp_drops. The call resets both.
	 */
	len = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
		return;
	p->acc.packets += st.tp_packets;
	p->acc.drops += st.tp_drops;
	found[p - afp]++;
}

void
mpn_afpacket_stats_poll(void)
{
	uint32_t found[MPN_CONFIG_MAX_PORTS] = { 0 };
	struct dirent *de;
	unsigned int i;
	bool any = false;
	DIR *d;

	for (i = 0; i < afp_n; i++)
		any |= afp[i].is_afp;
	if (!any)
		return;
	pthread_mutex_lock(&afp_lock);
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *end;
			long fd = strtol(de->d_name, &end, 10);

			if (*end != '\0' || end == de->d_name || fd == dirfd(d))
				continue;
			poll_fd((int)fd, found);
		}
		closedir(d);
	}
	for (i = 0; i < afp_n; i++)
		afp[i].acc.sockets = found[i];
	pthread_mutex_unlock(&afp_lock);
}

bool
mpn_afpacket_stats_read(unsigned int idx, bool since_start, struct mpn_afpacket_ring_stats *out)
{
	if (idx >= afp_n || !afp[idx].is_afp)
		return false;
	mpn_afpacket_stats_poll();
	pthread_mutex_lock(&afp_lock);
	*out = afp[idx].acc;
	if (!since_start) {
		out->packets -= afp[idx].base.packets;
		out->drops -= afp[idx].base.drops;
	}
	pthread_mutex_unlock(&afp_lock);
	return true;
}

void
mpn_afpacket_stats_clear(void)
{
	unsigned int i;

	mpn_afpacket_stats_poll();
	pthread_mutex_lock(&afp_lock);
	for (i = 0; i < afp_n; i++)
		afp[i].base = afp[i].acc;
	pthread_mutex_unlock(&afp_lock);
}
