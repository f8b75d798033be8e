/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CONFIG_H
#define MPN_CONFIG_H

/**
 * @file
 * The mpnorm configuration file (libconfig syntax).
 *
 * mpn_config_load() parses and validates the whole file before it returns,
 * so a configuration is either entirely valid or rejected with
 * "FILE:LINE: reason": it is never half-applied. The same loader serves the
 * daemon at start-up, the offline mode, `reload` and the tests.
 *
 * The layout, with every default, is documented in doc/config.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mpn_policy;

#define MPN_CONFIG_MAX_PORTS 32
#define MPN_CONFIG_MAX_LINKS 16
#define MPN_CONFIG_NAME_MAX 64
#define MPN_CONFIG_DEVARGS_MAX 512
#define MPN_CONFIG_PATH_MAX 4096

/* Defaults, chosen to fit an EAL started with --no-huge -m 512. */
#define MPN_DEFAULT_WORKERS 1
#define MPN_DEFAULT_BURST 32
#define MPN_DEFAULT_RX_DESC 1024
#define MPN_DEFAULT_TX_DESC 1024
#define MPN_DEFAULT_MBUFS 16384
#define MPN_DEFAULT_MBUF_CACHE 256

#define MPN_MAX_WORKERS 64
#define MPN_MAX_BURST 256

/** How packets of one flow reach one worker (ARCHITECTURE.md §3). */
enum mpn_placement {
	MPN_PLACEMENT_AUTO,       /**< symmetric where verified, else handoff */
	MPN_PLACEMENT_SYMMETRIC,  /**< trust the device: both directions share a queue */
	MPN_PLACEMENT_HANDOFF,    /**< software owner; pass packets over rings */
};

/** Data-plane sizing: the `dataplane` group. */
struct mpn_config_dataplane {
	unsigned int workers;     /**< worker lcores; worker q owns queue q of every port */
	unsigned int burst;       /**< packets per rx_burst/tx_burst */
	unsigned int rx_desc;     /**< RX descriptors per queue (ports may override) */
	unsigned int tx_desc;     /**< TX descriptors per queue (ports may override) */
	unsigned int mbufs;       /**< mbufs in the packet pool */
	unsigned int mbuf_cache;  /**< per-lcore mempool cache */
	int workers_line;         /**< line of 'workers', 0 when defaulted */
	enum mpn_placement placement;
	unsigned int handoff_ring; /**< packets each worker's handoff ring holds */
	unsigned int event_ring;   /**< flow events each worker's ring holds (export, syslog) */
};

/** Connection tracking: the `tables` group. */
struct mpn_config_tables {
	unsigned int subflows;            /**< subflow entries per worker */
	unsigned int connections;         /**< MPTCP connection records, shared */
	unsigned int embryonic_timeout;   /**< s, ASA `timeout embryonic` */
	unsigned int idle_timeout;        /**< s, ASA `timeout conn` */
	unsigned int half_closed_timeout; /**< s, ASA `timeout half-closed` */
	unsigned int closed_timeout;      /**< s, kept after RST or both FINs */
	bool unknown_subflow_drop;        /**< false: learn mid-stream subflows */
	unsigned int unconfirmed_timeout; /**< s, a learned entry seen one way only */
	unsigned int learn_limit;         /**< % of subflows above which nothing is learned */
	bool tracking;                    /**< false: the stateless tcp-map only, no tables */
};

#define MPN_DEFAULT_SUBFLOWS 65536
#define MPN_DEFAULT_CONNECTIONS 65536

/** The control socket: the `control` group. */
struct mpn_config_control {
	char socket[108];                  /**< unix socket path (sun_path size) */
	unsigned int mode;                 /**< file mode, e.g. 0660 */
	char group[MPN_CONFIG_NAME_MAX];   /**< owning group, "" = the process's */
	unsigned int idle_timeout;         /**< s a client may stay silent; 0 = forever */
};

#define MPN_DEFAULT_CONTROL_SOCKET "/run/mpnorm/mpnorm.sock"
#define MPN_DEFAULT_CONTROL_MODE 0660

/** What a join gets when the directory cannot answer (doc/cluster.md §6). */
enum mpn_cluster_unreachable {
	MPN_CLUSTER_UNREACHABLE_VERIFY, /**< as without a directory: the tcp-map's `join` decides */
	MPN_CLUSTER_UNREACHABLE_ALLOW,  /**< pass unverified (fail open) */
	MPN_CLUSTER_UNREACHABLE_DROP,   /**< drop (fail closed) */
};

#define MPN_CLUSTER_NODE_MAX 33      /**< node name: 32 characters and the NUL */
#define MPN_CLUSTER_PREFIX_MAX 33    /**< key prefix: 32 characters and the NUL */
#define MPN_CLUSTER_HOST_MAX 256
#define MPN_CLUSTER_USER_MAX 129
#define MPN_CLUSTER_PASSWORD_MAX 257

/**
 * The shared token directory: the `cluster` group (doc/cluster.md). Absent:
 * @c enabled is false and nothing else is set.
 *
 * The password is a secret: it is read from the credentials file at load,
 * never printed, and cleared by mpn_config_release().
 */
struct mpn_config_cluster {
	bool enabled;
	int line;                                /**< line of the group, for messages */
	char store[MPN_CLUSTER_HOST_MAX + 8];    /**< as written: "host:port" or a path */
	bool is_unix;                            /**< store is a unix socket path */
	char host[MPN_CLUSTER_HOST_MAX];         /**< TCP: host name or address */
	unsigned int port;                       /**< TCP port */
	char path[108];                          /**< unix socket path (sun_path size) */
	char credentials[MPN_CONFIG_PATH_MAX];   /**< the file, "" for none */
	char user[MPN_CLUSTER_USER_MAX];         /**< ACL user, "" = default */
	char password[MPN_CLUSTER_PASSWORD_MAX]; /**< secret; "" = no AUTH */
	char node[MPN_CLUSTER_NODE_MAX];         /**< this box's name in records */
	char prefix[MPN_CLUSTER_PREFIX_MAX];     /**< key prefix in the store */
	unsigned int ttl;                        /**< s, lifetime of an entry */
	unsigned int fetch_timeout;              /**< ms */
	enum mpn_cluster_unreachable unreachable;
	unsigned int request_ring;               /**< requests each worker can queue */
	unsigned int answer_ring;                /**< answers each worker can hold */
};

#define MPN_DEFAULT_CLUSTER_TTL 3600
#define MPN_DEFAULT_CLUSTER_FETCH_TIMEOUT 500
#define MPN_DEFAULT_CLUSTER_RING 1024
#define MPN_DEFAULT_CLUSTER_PREFIX "mpn:"

/** NSEL-style flow export: the `flow-export` group (doc/config.md). */
struct mpn_config_export {
	bool enabled;                  /**< the group is present */
	char collector[64];            /**< numeric IPv4 or IPv6 address */
	unsigned int port;
	bool tcp;                      /**< transport "tcp" (default "udp") */
	unsigned int template_refresh; /**< s, UDP */
	unsigned int queue;            /**< messages */
	unsigned int mtu;              /**< bytes per IPFIX message */
	unsigned int delay;            /**< ms a partial message waits */
	unsigned int domain;           /**< observation domain id */
	unsigned int enterprise;       /**< PEN of mpnorm's elements */
	int line;
};

/** Operator messages: the `logging` group. */
struct mpn_config_logging {
	bool syslog;          /**< syslog(3) instead of stderr (also --syslog) */
	int facility;         /**< LOG_* value; default LOG_LOCAL4 */
	unsigned int level;   /**< 0..7; default 6 (informational) */
	unsigned int rate;    /**< messages per second, 0 = no limit */
};

/** One entry of the `ports` list. */
struct mpn_config_port {
	char name[MPN_CONFIG_NAME_MAX];        /**< DPDK device name: PCI address or vdev name */
	char devargs[MPN_CONFIG_DEVARGS_MAX];  /**< optional: probe the device with these args */
	unsigned int rx_desc;
	unsigned int tx_desc;
	int line;                              /**< line of the entry, for messages */
};

/** One entry of the `links` list. */
struct mpn_config_link {
	char name[MPN_CONFIG_NAME_MAX];
	int inside;    /**< index into ports[] */
	int outside;   /**< index into ports[]; equals inside on a one-armed link */
	bool one_armed;
	int line;
};

struct mpn_config {
	char path[MPN_CONFIG_PATH_MAX];
	struct mpn_config_dataplane dataplane;
	struct mpn_config_control control;
	struct mpn_config_tables tables;
	struct mpn_config_cluster cluster;
	struct mpn_config_export flow_export;
	struct mpn_config_logging logging;
	unsigned int n_ports;
	struct mpn_config_port ports[MPN_CONFIG_MAX_PORTS];
	unsigned int n_links;
	struct mpn_config_link links[MPN_CONFIG_MAX_LINKS];
	struct mpn_policy *policy;  /**< owned; built from the policy sections */
};

/**
 * Parse and validate @p path into @p cfg.
 *
 * @return 0, or -1 with "FILE:LINE: reason" (or "FILE: reason" when no
 *   line applies) in @p err. On error @p cfg is left zeroed.
 */
int
mpn_config_load(const char *path, struct mpn_config *cfg, char *err, size_t errlen);

/** Free what mpn_config_load() allocated (the policy) and clear the secrets. */
void
mpn_config_release(struct mpn_config *cfg);

/** "verify", "allow" or "drop". */
const char *
mpn_cluster_unreachable_name(enum mpn_cluster_unreachable u);
/**
 * Write @p cfg, with @p policy as its policy (NULL: cfg->policy), as a
 * configuration file that mpn_config_load() reads back to the same
 * settings: every setting spelled out, defaults included (`show
 * running-config`). No key or secret is part of a configuration.
 * @return 0, or -1 with a reason in @p err
 */
int
mpn_config_write(const struct mpn_config *cfg, const struct mpn_policy *policy, FILE *f,
	char *err, size_t errlen);

/**
 * Whether two loaded configurations hold the same settings, ignoring the
 * file name and the line numbers (a written and re-read file has others).
 */
bool
mpn_config_same(const struct mpn_config *a, const struct mpn_config *b);

/** Index of the port named @p name, or -1. */
int
mpn_config_port_index(const struct mpn_config *cfg, const char *name);

#endif /* MPN_CONFIG_H */
