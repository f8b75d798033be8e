/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_POLICY_H
#define MPN_POLICY_H

/**
 * @file
 * The policy model: Cisco ASA's Modular Policy Framework, made MPTCP-aware.
 *
 *  - A *tcp-map* holds the normalizer knobs (the ASA's, with its defaults)
 *    plus an `mptcp` section.
 *  - A *class-map* selects traffic: any, prefixes, ports, link and
 *    direction, MPTCP present or not.
 *  - A *policy-map* is an ordered list of (class, tcp-map, flags); the first
 *    class that matches wins.
 *  - The *service-policy* picks a policy-map per link and direction, per link,
 *    or globally, in that order of preference.
 *
 * Traffic that no class matches gets the built-in tcp-map "default", which
 * behaves exactly as the ASA's default tcp-map and therefore clears MPTCP.
 *
 * A struct mpn_policy is immutable once built: workers read it without
 * locks, and a reload builds a new one and swaps a pointer.
 */

#include <stdbool.h>
#include <stdint.h>

#define MPN_POLICY_NAME_MAX 64
#define MPN_POLICY_MAX_TCP_MAPS 64
#define MPN_POLICY_MAX_CLASSES 256
#define MPN_POLICY_MAX_POLICY_MAPS 64
#define MPN_POLICY_MAX_RULES 64      /**< classes per policy-map */
#define MPN_POLICY_MAX_PREFIXES 64   /**< per match list */
#define MPN_POLICY_MAX_PORT_RANGES 32
#define MPN_POLICY_MAX_BINDINGS 64   /**< per-link service-policies */

/** What to do with an option, a flag or a packet. Not every knob takes every action. */
enum mpn_action {
	MPN_ACTION_ALLOW,
	MPN_ACTION_CLEAR,  /**< NOP-fill the option / clear the bits, keep the packet */
	MPN_ACTION_DROP,   /**< drop the packet, count the reason */
	MPN_ACTION_ALERT,  /**< pass untouched, count and log (IPS signature 1306/0) */
};

/** `mptcp mode`: the per-connection decision, taken at the SYN. */
enum mpn_mptcp_mode {
	MPN_MPTCP_ALLOW,     /**< MPTCP passes, subject to the per-subtype actions */
	MPN_MPTCP_FALLBACK,  /**< clean fallback: clear MP_CAPABLE at the SYN, refuse joins */
	MPN_MPTCP_DROP,      /**< drop every segment that carries a kind-30 option */
};

/** `join`: what to do with MP_JOIN SYNs (connection tracking enforces it). */
enum mpn_join_policy {
	MPN_JOIN_VERIFY,         /**< unknown token or bad HMAC: drop */
	MPN_JOIN_ALLOW_UNKNOWN,  /**< unknown tokens pass; known ones are verified */
	MPN_JOIN_ALLOW,          /**< no checks */
};

/** `join-refuse-action`: what mpnorm does with a join SYN it refuses. */
enum mpn_join_refuse_action {
	MPN_JOIN_REFUSE_DROP,    /**< drop it silently: the joining host retries until it times out */
	MPN_JOIN_REFUSE_RESET,   /**< answer with a RST + MP_TCPRST 0x03 (RFC 8684 §3.6) */
};

/** Subtypes with their own action; index = the subtype's 4-bit value. */
#define MPN_MPTCP_SUBTYPES 16

/** An IPv4 or IPv6 prefix, kept as 16 bytes (IPv4 in the first 4). */
struct mpn_prefix {
	uint8_t family;   /**< 4 or 6 */
	uint8_t len;      /**< prefix length in bits */
	uint8_t addr[16];
};

struct mpn_port_range {
	uint16_t lo, hi;
};

/** `addresses.hmac`: what a bad ADD_ADDR HMAC does (RFC 8684 §3.4.1). */
enum mpn_addaddr_hmac_policy {
	MPN_ADDADDR_HMAC_IGNORE,   /**< counted only */
	MPN_ADDADDR_HMAC_ENFORCE,  /**< dropped (mptcp-addaddr-bad-hmac) when the keys are known */
};

/**
 * ADD_ADDR address policy (connection tracking enforces it). An address
 * is refused if it falls in a `deny` prefix, or if `allow` prefixes are
 * given and it falls in none. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
 * are matched as the IPv4 address they carry.
 */
struct mpn_addaddr_policy {
	bool restricted;                 /**< false: every address passes */
	unsigned int n_prefixes;         /**< allow list; 0 = any not denied */
	struct mpn_prefix prefixes[MPN_POLICY_MAX_PREFIXES];
	unsigned int n_deny;
	struct mpn_prefix deny[MPN_POLICY_MAX_PREFIXES];
	enum mpn_addaddr_hmac_policy hmac;
	unsigned int n_ports;            /**< 0: any port */
	struct mpn_port_range ports[MPN_POLICY_MAX_PORT_RANGES];
	enum mpn_action action;          /**< for a refused address: clear or drop */
};

/** The `mptcp` section of a tcp-map. */
struct mpn_mptcp_policy {
	enum mpn_mptcp_mode mode;
	enum mpn_action subtype_action[MPN_MPTCP_SUBTYPES];
	enum mpn_action malformed;       /**< a kind-30 option short or inconsistent for its subtype */
	enum mpn_join_policy join;
	/**
	 * Subflows per connection, initial included: 1..12 (MPN_CONN_MAX_ACTIVE);
	 * 0 means the most a connection record holds (12). Linux allows the
	 * initial subflow plus 8 joins.
	 */
	unsigned int subflow_limit;
	/** Joins of one connection in their handshake at once: 1..4; the oldest makes way. */
	unsigned int join_pending_limit;
	struct mpn_addaddr_policy add_addr;
	/** A refused join SYN (policy, unknown token, limits): drop, or answer with a RST. */
	enum mpn_join_refuse_action join_refuse_action;
	/** RSTs each worker sends per second for this tcp-map at most (1..100000). */
	unsigned int join_refuse_rate;
	/** Join SYNs admitted per connection per second (RFC 7430 §2.2); 0: no limit. */
	unsigned int join_rate_limit;
	/** ADD_ADDR announcements (new side/id/address) per connection; 0: no limit. */
	unsigned int add_addr_limit;
	/** A join SYN before the connection's MP_CAPABLE third ACK: true = drop. */
	bool join_early_drop;
};

/** A tcp-map: every ASA knob, with the ASA's defaults, plus MPTCP. */
struct mpn_tcp_map {
	char name[MPN_POLICY_NAME_MAX];
	int line;
	/**
	 * Action per option kind. Kinds 0 and 1 (EOL, NOP) are always allowed;
	 * 2 (MSS) is always allowed (it can be clamped); 4 and 5 follow
	 * selective-ack, 3 window-scale, 8 timestamp; the rest follow the
	 * `tcp-options range` rules (default: 6-7 and 9-255 clear).
	 */
	enum mpn_action option_action[256];
	enum mpn_action syn_data;         /**< allow / drop; default allow */
	enum mpn_action synack_data;      /**< allow / drop; default drop */
	enum mpn_action reserved_bits;    /**< allow / clear / drop; default allow */
	enum mpn_action urgent_flag;      /**< allow / clear; default clear */
	bool checksum_verification;       /**< default off */
	enum mpn_action exceed_mss;       /**< allow / drop; default allow */
	enum mpn_action invalid_ack;      /**< allow / drop; default drop */
	enum mpn_action seq_past_window;  /**< allow / drop; default drop */
	enum mpn_action window_variation; /**< allow / drop; default allow */
	bool ttl_evasion_protection;      /**< default on */
	uint16_t mss_clamp;               /**< 0: off */
	struct mpn_mptcp_policy mptcp;
};

/** Direction criterion of a class-map or a service-policy binding. */
enum mpn_dir_match {
	MPN_DIR_MATCH_ANY,
	MPN_DIR_MATCH_IN2OUT,
	MPN_DIR_MATCH_OUT2IN,
};

enum mpn_mptcp_match {
	MPN_MPTCP_MATCH_ANY,
	MPN_MPTCP_MATCH_PRESENT,
	MPN_MPTCP_MATCH_ABSENT,
};

/** `mptcp-c-flag`: the C flag ("do not join my initial address") of the connection. */
enum mpn_c_flag_match {
	MPN_C_FLAG_ANY,
	MPN_C_FLAG_SET,
	MPN_C_FLAG_CLEAR,
};

/**
 * A class-map. Every criterion given must match (AND); within one list any
 * entry may match (OR). A class with no criterion matches everything.
 */
struct mpn_class_map {
	char name[MPN_POLICY_NAME_MAX];
	int line;
	unsigned int n_src, n_dst;
	struct mpn_prefix src[MPN_POLICY_MAX_PREFIXES];
	struct mpn_prefix dst[MPN_POLICY_MAX_PREFIXES];
	unsigned int n_sport, n_dport;
	struct mpn_port_range sport[MPN_POLICY_MAX_PORT_RANGES];
	struct mpn_port_range dport[MPN_POLICY_MAX_PORT_RANGES];
	int link;                      /**< config link index, -1 = any */
	enum mpn_dir_match dir;
	enum mpn_mptcp_match mptcp;
	/*
	 * MPTCP attributes of the connection (issue 16). Each given one
	 * implies an MPTCP subflow: plain TCP never matches them.
	 */
	uint8_t mptcp_versions;        /**< bit 1 << version (MP_CAPABLE), 0 = any */
	enum mpn_c_flag_match mptcp_c_flag; /**< RFC 8684 §3.1 C flag */
	/**
	 * Bit 1 << subtype for each `mptcp-subtype` listed, 0 = any. Unlike
	 * the others this is a criterion of one segment, never of a
	 * connection: such a class selects single segments (mpn_policy_classify()).
	 */
	uint16_t mptcp_subtypes;
};

/** Whether @p c has a segment-level criterion (`mptcp-subtype`). */
static inline bool
mpn_class_is_segment_level(const struct mpn_class_map *c)
{
	return c->mptcp_subtypes != 0;
}

/** One line of a policy-map. */
struct mpn_policy_rule {
	int class_idx;
	int tcp_map_idx;
	bool inspect;           /**< forces MPTCP fallback for the class */
	bool tcp_state_bypass;  /**< no stateful checks, no rewrites */
	bool monitor;           /**< count and log what would change; change nothing */
	int line;
};

struct mpn_policy_map {
	char name[MPN_POLICY_NAME_MAX];
	int line;
	unsigned int n_rules;
	struct mpn_policy_rule rules[MPN_POLICY_MAX_RULES];
};

/** A per-link service-policy. */
struct mpn_policy_binding {
	int link;
	enum mpn_dir_match dir;
	int policy_map_idx;
	int line;
};

struct mpn_policy {
	/**
	 * Unique per policy object (mpn_policy_new()): what the per-subflow
	 * class cache is tagged with, so a reload invalidates it.
	 */
	uint32_t generation;
	unsigned int n_tcp_maps;
	struct mpn_tcp_map tcp_maps[MPN_POLICY_MAX_TCP_MAPS];  /**< [0] is "default" */
	unsigned int n_classes;
	struct mpn_class_map classes[MPN_POLICY_MAX_CLASSES];
	unsigned int n_policy_maps;
	struct mpn_policy_map policy_maps[MPN_POLICY_MAX_POLICY_MAPS];
	int global_policy_map;         /**< -1: none */
	unsigned int n_bindings;
	struct mpn_policy_binding bindings[MPN_POLICY_MAX_BINDINGS];
	struct mpn_policy_rule default_rule;  /**< tcp-map "default", no flags */
	/** Some class has `mptcp-subtype`: segments with kind 30 are classified again. */
	bool has_segment_classes;
};

/** What the classifier looks at. Addresses are in network order. */
struct mpn_classify_key {
	uint8_t family;          /**< 4 or 6 */
	const uint8_t *src;      /**< 4 or 16 bytes */
	const uint8_t *dst;
	uint16_t sport, dport;   /**< host order */
	uint16_t link;
	uint8_t dir;             /**< 0 inside->outside, 1 outside->inside */
	bool mptcp;              /**< an MPTCP subflow (or, without state, a kind-30 segment) */
	bool have_version;       /**< @p version is known */
	uint8_t version;         /**< the connection's MPTCP version (MP_CAPABLE) */
	bool c_flag;             /**< an MP_CAPABLE of the connection had the C flag */
	/**
	 * Bit 1 << subtype of every kind-30 option of this segment; 0 when
	 * classifying the connection (classes with `mptcp-subtype` never
	 * match then).
	 */
	uint16_t subtypes;
};

/** Fill @p m with the ASA defaults and MPTCP settings that reproduce the ASA. */
void
mpn_tcp_map_defaults(struct mpn_tcp_map *m, const char *name);

/** Allocate a policy with only the built-in "default" tcp-map. */
struct mpn_policy *
mpn_policy_new(void);

void
mpn_policy_free(struct mpn_policy *p);

/** Index of a tcp-map, class-map or policy-map by name, or -1. */
int mpn_policy_tcp_map_index(const struct mpn_policy *p, const char *name);
int mpn_policy_class_index(const struct mpn_policy *p, const char *name);
int mpn_policy_map_index(const struct mpn_policy *p, const char *name);

/** Does @p c match @p k, in the packet's own orientation or the reverse one? */
bool
mpn_class_matches(const struct mpn_class_map *c, const struct mpn_classify_key *k);

/**
 * Pick the rule for a packet: the policy-map bound to its link and
 * direction, else to its link, else the global one; the first class in it
 * that matches; else the default rule. Never NULL.
 */
const struct mpn_policy_rule *
mpn_policy_classify(const struct mpn_policy *p, const struct mpn_classify_key *k);

/**
 * Rule ids: 0 is the default rule, 1 + pm * MPN_POLICY_MAX_RULES + i is
 * rule i of policy-map pm. Stable for the life of the policy object; per
 * class counters and the per-subflow class cache use them.
 */
#define MPN_POLICY_RULE_IDS (1 + MPN_POLICY_MAX_POLICY_MAPS * MPN_POLICY_MAX_RULES)

/** The id of @p r, a rule of @p p (or its default rule). */
uint16_t
mpn_policy_rule_id(const struct mpn_policy *p, const struct mpn_policy_rule *r);

/** The rule of @p p with id @p id (the default rule for an id that names none). */
const struct mpn_policy_rule *
mpn_policy_rule_by_id(const struct mpn_policy *p, uint16_t id);

/**
 * Whether rule @p id belongs to the policy-map that classifies @p k's link
 * and direction: a join may take its connection's class only then (a
 * join on another link is under another policy-map).
 */
bool
mpn_policy_rule_applies(const struct mpn_policy *p, uint16_t id,
	const struct mpn_classify_key *k);

/** The tcp-map a rule points to. */
static inline const struct mpn_tcp_map *
mpn_policy_rule_tcp_map(const struct mpn_policy *p, const struct mpn_policy_rule *r)
{
	return &p->tcp_maps[r->tcp_map_idx];
}

/** Parse "10.0.0.0/8", "2001:db8::/32" or a bare address. @return 0 or -1. */
int
mpn_prefix_parse(const char *s, struct mpn_prefix *out);

/**
 * Whether an ADD_ADDR address passes @p ap's address list (not the ports):
 * not in a deny prefix, and in an allow prefix if there are any. An
 * IPv4-mapped IPv6 address is checked as its IPv4 address.
 */
bool
mpn_addaddr_allowed(const struct mpn_addaddr_policy *ap, uint8_t family, const uint8_t *addr);

/** Does @p addr (4 or 16 bytes, per @p family) fall in @p pfx? */
bool
mpn_prefix_contains(const struct mpn_prefix *pfx, uint8_t family, const uint8_t *addr);

/** Parse "443" or "1024-65535". @return 0 or -1. */
int
mpn_port_range_parse(const char *s, struct mpn_port_range *out);

/** Names used in configs and reports. */
const char *mpn_action_name(enum mpn_action a);
const char *mpn_mptcp_mode_name(enum mpn_mptcp_mode m);
const char *mpn_join_refuse_action_name(enum mpn_join_refuse_action a);
const char *mpn_join_policy_name(enum mpn_join_policy j);

#endif /* MPN_POLICY_H */
