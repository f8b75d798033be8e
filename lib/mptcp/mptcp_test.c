/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPTCP option decoder: byte-level fixtures for every subtype, version and
 * length form (many taken verbatim from the real captures in
 * pcaps/real), every malformed case, matrices over the
 * length/flags/version space, and bounds checks: every prefix of every
 * valid fixture and seeded random options, each placed against a
 * PROT_NONE guard page so that a read past len faults.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "mptcp.h"

#define SYN MPN_MPTCP_TH_SYN
#define SYNACK (MPN_MPTCP_TH_SYN | MPN_MPTCP_TH_ACK)
#define ACK MPN_MPTCP_TH_ACK
#define PSHACK (0x08 | MPN_MPTCP_TH_ACK)

/* One fixture: an option as hex, how to decode it, and what comes out. */
struct dcase {
	const char *name;
	const char *hex;      /* the whole option, kind and length included */
	uint8_t tcp_flags;
	int hint;
	int rc;               /* 0, -EBADMSG or -ENOTSUP */
	uint8_t subtype;
	uint8_t why;          /* enum mpn_mptcp_malformed */
	const char *line;     /* mpn_mptcp_format(); NULL: the malformed line */
};

#define OK(n, h, f, v, st, l) { n, h, f, v, 0, st, MPN_MPTCP_OK, l }
#define BAD(n, h, f, v, st, w) { n, h, f, v, -EBADMSG, st, w, NULL }

static const struct dcase cases[] = {
	/* MP_CAPABLE: real v0 handshake, tcpdump mptcp-v0.pcap frames 1-3. */
	OK("mpc_v0_syn_real", "1e0c00819c9eabd1e46a33b2", SYN, -1, 0,
		"mp-capable v0 flags 0x81 [AH] sndkey 0x9c9eabd1e46a33b2"),
	OK("mpc_v0_synack_real", "1e0c0081967d2770b6960552", SYNACK, -1, 0,
		"mp-capable v0 flags 0x81 [AH] sndkey 0x967d2770b6960552"),
	OK("mpc_v0_ack_real", "1e1400819c9eabd1e46a33b2967d2770b6960552", ACK, -1, 0,
		"mp-capable v0 flags 0x81 [AH] sndkey 0x9c9eabd1e46a33b2 "
		"rcvkey 0x967d2770b6960552"),
	/* Real v1 handshake, linux/capture-mid.pcap frames 1-3. */
	OK("mpc_v1_syn_real", "1e040101", SYN, -1, 0,
		"mp-capable v1 flags 0x01 [H]"),
	OK("mpc_v1_synack_real", "1e0c0101ac88245795309269", SYNACK, -1, 0,
		"mp-capable v1 flags 0x01 [H] sndkey 0xac88245795309269"),
	OK("mpc_v1_ack_real", "1e140101d1ead00377b55779ac88245795309269", ACK, -1, 0,
		"mp-capable v1 flags 0x01 [H] sndkey 0xd1ead00377b55779 "
		"rcvkey 0xac88245795309269"),
	/* tcpdump mptcp-aa-v1.pcap frame 6: the 22-byte ACK with data. */
	OK("mpc_v1_ack_data_real", "1e1601018f0c7c64a6a32ac173bb150358a0aecb0010",
		PSHACK, -1, 0,
		"mp-capable v1 flags 0x01 [H] sndkey 0x8f0c7c64a6a32ac1 "
		"rcvkey 0x73bb150358a0aecb len 16"),
	OK("mpc_v1_ack_data_csum", "1e1801818f0c7c64a6a32ac173bb150358a0aecb0010abcd",
		PSHACK, -1, 0,
		"mp-capable v1 flags 0x81 [AH] sndkey 0x8f0c7c64a6a32ac1 "
		"rcvkey 0x73bb150358a0aecb len 16 csum 0xabcd"),
	OK("mpc_v1_syn_c_flag", "1e0401a1", SYN, -1, 0,
		"mp-capable v1 flags 0xa1 [ACH]"),
	OK("mpc_v1_syn_b_flag", "1e040141", SYN, -1, 0,
		"mp-capable v1 flags 0x41 [BH]"),
	OK("mpc_v1_syn_no_flags", "1e040100", SYN, -1, 0,
		"mp-capable v1 flags 0x00"),
	OK("mpc_v2_syn_future", "1e040201", SYN, -1, 0,
		"mp-capable v2 flags 0x01 [H]"),
	OK("mpc_v15_syn_future", "1e040f01", SYN, -1, 0,
		"mp-capable v15 flags 0x01 [H]"),
	OK("mpc_v0_synack_crypto_bits", "1e0c00bf0102030405060708", SYNACK, -1, 0,
		"mp-capable v0 flags 0xbf [ACDEFGH] sndkey 0x0102030405060708"),
	BAD("mpc_len3", "1e0300", SYN, -1, 0, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("mpc_len25", "1e1901810102030405060708010203040506070800100000ff", ACK, -1, 0,
		MPN_MPTCP_BAD_TOO_LONG),
	BAD("mpc_len8", "1e08010101020304", SYN, -1, 0, MPN_MPTCP_BAD_LENGTH),
	BAD("mpc_len16", "1e10010101020304050607080a0b0c0d", ACK, -1, 0,
		MPN_MPTCP_BAD_LENGTH),
	BAD("mpc_len21", "1e150101010203040506070801020304050607080a", ACK, -1, 0,
		MPN_MPTCP_BAD_LENGTH),
	BAD("mpc_len23", "1e170101010203040506070801020304050607080a0b0c", ACK, -1, 0,
		MPN_MPTCP_BAD_LENGTH),
	BAD("mpc_len4_on_synack", "1e040101", SYNACK, -1, 0, MPN_MPTCP_BAD_HANDSHAKE),
	BAD("mpc_len4_on_ack", "1e040101", ACK, -1, 0, MPN_MPTCP_BAD_HANDSHAKE),
	BAD("mpc_len12_on_ack", "1e0c0101ac88245795309269", ACK, -1, 0,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("mpc_len20_on_syn", "1e140101d1ead00377b55779ac88245795309269", SYN, -1, 0,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("mpc_len22_on_synack", "1e1601018f0c7c64a6a32ac173bb150358a0aecb0010",
		SYNACK, -1, 0, MPN_MPTCP_BAD_HANDSHAKE),
	BAD("mpc_v0_len4_syn", "1e040081", SYN, -1, 0, MPN_MPTCP_BAD_VERSION),
	BAD("mpc_v1_len12_syn", "1e0c0101ac88245795309269", SYN, -1, 0,
		MPN_MPTCP_BAD_VERSION),
	BAD("mpc_v2_len12_synack", "1e0c0201ac88245795309269", SYNACK, -1, 0,
		MPN_MPTCP_BAD_VERSION),
	BAD("mpc_v2_len20_ack", "1e140201d1ead00377b55779ac88245795309269", ACK, -1, 0,
		MPN_MPTCP_BAD_VERSION),
	BAD("mpc_v0_len22_ack", "1e1600818f0c7c64a6a32ac173bb150358a0aecb0010",
		ACK, -1, 0, MPN_MPTCP_BAD_VERSION),
	BAD("mpc_v0_len24_ack", "1e1800818f0c7c64a6a32ac173bb150358a0aecb0010abcd",
		ACK, -1, 0, MPN_MPTCP_BAD_VERSION),

	/* MP_JOIN: real v0 join, tcpdump mptcp-v0.pcap frames 8-10. */
	OK("join_v0_syn_real", "1e0c1000e47f01421b665a18", SYN, -1, 1,
		"mp-join syn id 0 token 0xe47f0142 nonce 0x1b665a18"),
	OK("join_v0_synack_real", "1e1010015ab680c7884af03d33abe9d5", SYNACK, -1, 1,
		"mp-join syn-ack id 1 hmac 0x5ab680c7884af03d nonce 0x33abe9d5"),
	OK("join_v0_ack_real", "1e181000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a",
		ACK, -1, 1,
		"mp-join ack hmac 0xcb7b87f5e5f0502f43b535fb70ef6607df2e6c7a"),
	/* Real v1 join, linux/capture-mid.pcap frames 6-8. */
	OK("join_v1_syn_real", "1e0c1001dde61a3ea25c7fbc", SYN, -1, 1,
		"mp-join syn id 1 token 0xdde61a3e nonce 0xa25c7fbc"),
	OK("join_v1_synack_real", "1e101001a853258f2218f95e99f411f6", SYNACK, -1, 1,
		"mp-join syn-ack id 1 hmac 0xa853258f2218f95e nonce 0x99f411f6"),
	OK("join_v1_ack_real", "1e181000d85281bb947a83be2329d50b33a31c5b8702944e",
		ACK, -1, 1,
		"mp-join ack hmac 0xd85281bb947a83be2329d50b33a31c5b8702944e"),
	OK("join_syn_backup", "1e0c1105deadbeef01020304", SYN, -1, 1,
		"mp-join syn id 5 token 0xdeadbeef nonce 0x01020304 [B]"),
	OK("join_synack_backup", "1e1011070102030405060708a1b2c3d4", SYNACK, -1, 1,
		"mp-join syn-ack id 7 hmac 0x0102030405060708 nonce 0xa1b2c3d4 [B]"),
	OK("join_ack_no_flags", "1e181000d85281bb947a83be2329d50b33a31c5b8702944e",
		0, -1, 1, "mp-join ack hmac 0xd85281bb947a83be2329d50b33a31c5b8702944e"),
	BAD("join_len3", "1e0310", SYN, -1, 1, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("join_len11", "1e0b1000e47f01421b665a", SYN, -1, 1, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("join_len13", "1e0d1000e47f01421b665a1800", SYN, -1, 1, MPN_MPTCP_BAD_LENGTH),
	BAD("join_len20", "1e1410015ab680c7884af03d33abe9d500000000", SYNACK, -1, 1,
		MPN_MPTCP_BAD_LENGTH),
	BAD("join_len25", "1e191000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a00",
		ACK, -1, 1, MPN_MPTCP_BAD_TOO_LONG),
	BAD("join_syn_on_synack", "1e0c1000e47f01421b665a18", SYNACK, -1, 1,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("join_syn_on_ack", "1e0c1000e47f01421b665a18", ACK, -1, 1,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("join_synack_on_syn", "1e1010015ab680c7884af03d33abe9d5", SYN, -1, 1,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("join_synack_on_ack", "1e1010015ab680c7884af03d33abe9d5", ACK, -1, 1,
		MPN_MPTCP_BAD_HANDSHAKE),
	BAD("join_ack_on_syn", "1e181000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a",
		SYN, -1, 1, MPN_MPTCP_BAD_HANDSHAKE),
	BAD("join_ack_on_synack", "1e181000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a",
		SYNACK, -1, 1, MPN_MPTCP_BAD_HANDSHAKE),

	/* DSS: every form seen in the real captures. */
	OK("dss_ack64_real", "1e0c2003a400072d612cb137", ACK, -1, 2,
		"dss ack 0xa400072d612cb137"),
	OK("dss_ack32_real", "1e0820017e86fa7b", ACK, -1, 2, "dss ack 0x7e86fa7b"),
	OK("dss_ack32_map64_csum_real",
		"1e18200d00d57be3a400072d612cb137000000017a604085", ACK, -1, 2,
		"dss ack 0xd57be3 seq 0xa400072d612cb137 subseq 1 len 31328 csum 0x4085"),
	OK("dss_fin_csum_real",
		"1e18201d00d57be3a400072d614cb137000000000001424d", ACK, -1, 2,
		"dss ack 0xd57be3 seq 0xa400072d614cb137 subseq 0 len 1 csum 0x424d [F]"),
	OK("dss_ack64_map64_csum_real",
		"1e1c200fa400072d614cb138496de0f100d57be3000000010049b454", ACK, -1, 2,
		"dss ack 0xa400072d614cb138 seq 0x496de0f100d57be3 subseq 1 len 73 "
		"csum 0xb454"),
	OK("dss_ack64_map64_fin_csum_real",
		"1e1c201fa400072d614cb138496de0f100d57c2c000000000001589e", ACK, -1, 2,
		"dss ack 0xa400072d614cb138 seq 0x496de0f100d57c2c subseq 0 len 1 "
		"csum 0x589e [F]"),
	OK("dss_ack32_map64_real", "1e16200ddb93305ad28a9e1d4e9d705a000000017a60",
		ACK, -1, 2,
		"dss ack 0xdb93305a seq 0xd28a9e1d4e9d705a subseq 1 len 31328"),
	OK("dss_ack64_map64_real",
		"1e1a200fd28a9e1d4edd705bf590d613db93305a000000010049", ACK, -1, 2,
		"dss ack 0xd28a9e1d4edd705b seq 0xf590d613db93305a subseq 1 len 73"),
	OK("dss_v0_ack32_map32_csum_real", "1e142005c9dc1c61b1712fb60000000100019e91",
		ACK, -1, 2,
		"dss ack 0xc9dc1c61 seq 0xb1712fb6 subseq 1 len 1 csum 0x9e91"),
	OK("dss_v0_fin_real", "1e142015d1b99601d52ad2cb0000000000010a51", ACK, -1, 2,
		"dss ack 0xd1b99601 seq 0xd52ad2cb subseq 0 len 1 csum 0x0a51 [F]"),
	OK("dss_empty", "1e042000", ACK, -1, 2, "dss"),
	OK("dss_map32_infinite", "1e0e20040000000500000000 0000", ACK, -1, 2,
		"dss seq 0x5 subseq 0 len 0 (infinite)"),
	OK("dss_fin_only", "1e042010", ACK, -1, 2, "dss [F]"),
	OK("dss_a_without_A", "1e042002", ACK, -1, 2, "dss"),
	/* tcpdump mptcp-dss-oobr.pcap: CVE-2017-13040, a 3-byte DSS. */
	BAD("dss_cve_2017_13040_real", "1e0320", SYN, -1, 2, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("dss_len29", "1e1d201f00000000000000000000000000000000000000000000000000",
		ACK, -1, 2, MPN_MPTCP_BAD_TOO_LONG),
	BAD("dss_ack32_short", "1e0620010000", ACK, -1, 2, MPN_MPTCP_BAD_DSS_LENGTH),
	BAD("dss_ack32_plus_csum_no_map", "1e0a2001000000000000", ACK, -1, 2,
		MPN_MPTCP_BAD_DSS_LENGTH),
	BAD("dss_map64_len27", "1e1b200f0000000000000000000000000000000000000000000000",
		ACK, -1, 2, MPN_MPTCP_BAD_DSS_LENGTH),
	BAD("dss_flags0_len5", "1e05200000", ACK, -1, 2, MPN_MPTCP_BAD_DSS_LENGTH),

	/* ADD_ADDR v0: tcpdump mptcp-v0.pcap frame 4. */
	OK("aa_v0_real_nohint", "1e0834010a010202", ACK, -1, 3,
		"add-addr v0 id 1 10.1.2.2"),
	OK("aa_v0_real_hint0", "1e0834010a010202", ACK, 0, 3,
		"add-addr v0 id 1 10.1.2.2"),
	OK("aa_v0_v4_port", "1e0a34020a0102021f90", ACK, -1, 3,
		"add-addr v0 id 2 10.1.2.2 port 8080"),
	OK("aa_v0_v6", "1e14360320010db8000000000000000000000001", ACK, -1, 3,
		"add-addr v0 id 3 2001:db8::1"),
	OK("aa_v0_v6_port", "1e16360420010db80000000000000000000000010016", ACK, 0, 3,
		"add-addr v0 id 4 2001:db8::1 port 22"),
	/* ADD_ADDR v1: linux/capture-mid.pcap frames 4 and 5. */
	OK("aa_v1_real_nohint", "1e1030010a000202a5f0c4bf9a9e4ed8", ACK, -1, 3,
		"add-addr v1 id 1 10.0.2.2 hmac 0xa5f0c4bf9a9e4ed8"),
	OK("aa_v1_real_hint1", "1e1030010a000202a5f0c4bf9a9e4ed8", ACK, 1, 3,
		"add-addr v1 id 1 10.0.2.2 hmac 0xa5f0c4bf9a9e4ed8"),
	OK("aa_v1_echo_real", "1e0831010a000202", ACK, -1, 3,
		"add-addr v1 echo id 1 10.0.2.2"),
	OK("aa_v1_echo_real_hint1", "1e0831010a000202", ACK, 1, 3,
		"add-addr v1 echo id 1 10.0.2.2"),
	/* tcpdump mptcp-aa-v1.pcap frame 13 (leftmost HMAC, still well formed). */
	OK("aa_v1_leftmost_real", "1e103001c0a888e1669928744366716c", ACK, -1, 3,
		"add-addr v1 id 1 192.168.136.225 hmac 0x669928744366716c"),
	OK("aa_v1_v4_port_hmac", "1e1230020a00020213880102030405060708", ACK, -1, 3,
		"add-addr v1 id 2 10.0.2.2 port 5000 hmac 0x0102030405060708"),
	OK("aa_v1_v4_port_echo", "1e0a31020a0002021388", ACK, -1, 3,
		"add-addr v1 echo id 2 10.0.2.2 port 5000"),
	OK("aa_v1_v6_hmac", "1e1c300920010db80000000000000000000000020102030405060708",
		ACK, -1, 3, "add-addr v1 id 9 2001:db8::2 hmac 0x0102030405060708"),
	OK("aa_v1_v6_port_hmac",
		"1e1e300920010db800000000000000000000000201bb0102030405060708",
		ACK, 1, 3,
		"add-addr v1 id 9 2001:db8::2 port 443 hmac 0x0102030405060708"),
	OK("aa_v1_v6_echo", "1e14310920010db8000000000000000000000002", ACK, -1, 3,
		"add-addr v1 echo id 9 2001:db8::2"),
	OK("aa_v1_v6_port_echo", "1e16310920010db800000000000000000000000201bb",
		ACK, -1, 3, "add-addr v1 echo id 9 2001:db8::2 port 443"),
	OK("aa_v1_reserved_bits_echo", "1e083f010a000202", ACK, 1, 3,
		"add-addr v1 echo id 1 10.0.2.2"),
	BAD("aa_len7", "1e0734010a0102", ACK, -1, 3, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("aa_len3", "1e0330", ACK, -1, 3, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("aa_v1_len31", "1e1f300920010db800000000000000000000000201bb010203040506070800",
		ACK, 1, 3, MPN_MPTCP_BAD_TOO_LONG),
	BAD("aa_v0_len23", "1e17360420010db8000000000000000000000001001600",
		ACK, 0, 3, MPN_MPTCP_BAD_TOO_LONG),
	BAD("aa_v1_len12", "1e0c30010a00020201020304", ACK, 1, 3, MPN_MPTCP_BAD_LENGTH),
	BAD("aa_v0_len16", "1e1034010a000202a5f0c4bf9a9e4ed8", ACK, 0, 3,
		MPN_MPTCP_BAD_LENGTH),
	BAD("aa_v0_ipver5", "1e0835010a010202", ACK, 0, 3, MPN_MPTCP_BAD_ADDR_IPVER),
	BAD("aa_v0_ipver4_len20", "1e14340320010db8000000000000000000000001", ACK, 0, 3,
		MPN_MPTCP_BAD_ADDR_IPVER),
	BAD("aa_v0_ipver6_len8", "1e0836010a010202", ACK, 0, 3, MPN_MPTCP_BAD_ADDR_IPVER),
	BAD("aa_v1_echo_hint0", "1e0831010a000202", ACK, 0, 3, MPN_MPTCP_BAD_ADDR_IPVER),
	BAD("aa_v0_with_hint1", "1e0834010a010202", ACK, 1, 3, MPN_MPTCP_BAD_ADDR_ECHO),
	BAD("aa_v1_e0_len8", "1e0830010a000202", ACK, -1, 3, MPN_MPTCP_BAD_ADDR_ECHO),
	BAD("aa_v1_e1_len16", "1e1031010a000202a5f0c4bf9a9e4ed8", ACK, -1, 3,
		MPN_MPTCP_BAD_ADDR_ECHO),
	BAD("aa_nohint_ipver6_len8", "1e0836010a010202", ACK, -1, 3,
		MPN_MPTCP_BAD_ADDR_ECHO),

	/* REMOVE_ADDR: mptcp-v0.pcap frame 210, capture-mid.pcap frame 3914. */
	OK("rm_v0_real", "1e044000", ACK, -1, 4, "remove-addr id 0"),
	OK("rm_v1_real", "1e044001", ACK, -1, 4, "remove-addr id 1"),
	OK("rm_two", "1e05400102", ACK, -1, 4, "remove-addr id 1,2"),
	OK("rm_37",
		"1e2840"
		"0102030405060708090a0b0c0d0e0f10"
		"1112131415161718191a1b1c1d1e1f20"
		"2122232425",
		ACK, -1, 4,
		"remove-addr id 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
		"21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37"),
	BAD("rm_empty", "1e0340", ACK, -1, 4, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("rm_len41",
		"1e2940"
		"0102030405060708090a0b0c0d0e0f10"
		"1112131415161718191a1b1c1d1e1f20"
		"212223242526",
		ACK, -1, 4, MPN_MPTCP_BAD_TOO_LONG),

	/* MP_PRIO: capture-mid.pcap frame 2587 (v1), and the v0 form with id. */
	OK("prio_v1_backup_real", "1e0351", ACK, -1, 5, "mp-prio backup"),
	OK("prio_v1_nonbackup", "1e0350", ACK, -1, 5, "mp-prio non-backup"),
	OK("prio_v0_addr_id", "1e045103", ACK, -1, 5, "mp-prio backup id 3"),
	BAD("prio_len5", "1e05510300", ACK, -1, 5, MPN_MPTCP_BAD_TOO_LONG),

	/* MP_FAIL: no real capture has one. */
	OK("fail", "1e0c600000000000deadbeef", ACK, -1, 6,
		"mp-fail seq 0x00000000deadbeef"),
	BAD("fail_len4", "1e046000", ACK, -1, 6, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("fail_len11", "1e0b600000000000deadbe", ACK, -1, 6, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("fail_len13", "1e0d600000000000deadbeef00", ACK, -1, 6,
		MPN_MPTCP_BAD_TOO_LONG),

	/* MP_FASTCLOSE: capture-fail-fastclose.pcap (v1), mptcp-fclose.pcap (v0). */
	OK("fastclose_v1_real", "1e0c7000c3ea2e1f7782da0f", 0x14, -1, 7,
		"mp-fastclose key 0xc3ea2e1f7782da0f"),
	OK("fastclose_v0_real", "1e0c7000d005b1ab34bad344", ACK, -1, 7,
		"mp-fastclose key 0xd005b1ab34bad344"),
	BAD("fastclose_len11", "1e0b7000d005b1ab34bad3", ACK, -1, 7,
		MPN_MPTCP_BAD_TOO_SHORT),
	BAD("fastclose_len13", "1e0d7000d005b1ab34bad34400", ACK, -1, 7,
		MPN_MPTCP_BAD_TOO_LONG),

	/* MP_TCPRST: tcpdump mptcp-tcprst.pcap frames 1 and 2. */
	OK("tcprst_real_0", "1e048000", 0x14, -1, 8,
		"mp-tcprst reason 0 (unspecified error) flags 0x0"),
	OK("tcprst_real_1_transient", "1e048101", 0x14, -1, 8,
		"mp-tcprst reason 1 (MPTCP-specific error) flags 0x1 [T]"),
	OK("tcprst_middlebox", "1e048106", 0x04, -1, 8,
		"mp-tcprst reason 6 (middlebox interference) flags 0x1 [T]"),
	OK("tcprst_reasons_2_5", "1e048f05", 0x04, -1, 8,
		"mp-tcprst reason 5 (unacceptable performance) flags 0xf [T]"),
	OK("tcprst_unknown_reason", "1e048007", 0x04, -1, 8,
		"mp-tcprst reason 7 (unknown) flags 0x0"),
	BAD("tcprst_len3", "1e0380", 0x04, -1, 8, MPN_MPTCP_BAD_TOO_SHORT),
	BAD("tcprst_len5", "1e05800106", 0x04, -1, 8, MPN_MPTCP_BAD_TOO_LONG),

	/* Private use: any length 3..40, opaque. */
	OK("private_len3", "1e03f0", ACK, -1, 15, "private len 3"),
	OK("private_len8", "1e08f30102030405", SYN, -1, 15, "private len 8"),
	BAD("private_len41",
		"1e29f0"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"000000000000",
		ACK, -1, 15, MPN_MPTCP_BAD_TOO_LONG),

	/* Unassigned subtypes: reported, not malformed. */
	{ "unknown_9", "1e049000", ACK, -1, -ENOTSUP, 9, MPN_MPTCP_OK,
		"unknown subtype 0x9 len 4" },
	{ "unknown_e_len3", "1e03e0", ACK, -1, -ENOTSUP, 0xe, MPN_MPTCP_OK,
		"unknown subtype 0xe len 3" },

	/* No subtype byte at all. */
	{ "len2_no_subtype", "1e02", ACK, -1, -EBADMSG, MPN_MPTCP_SUBTYPE_NONE,
		MPN_MPTCP_BAD_TOO_SHORT, "mptcp malformed (too-short) len 2" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Parse hex, skipping spaces; returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/*
 * A buffer whose end touches a PROT_NONE page: an option copied to
 * guard_place() ends exactly at the guard, so a read of opt[len] faults.
 */
static uint8_t *guard_base;
static size_t guard_page;

static int
guard_setup(void **state)
{
	(void)state;
	guard_page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * guard_page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	if (mprotect(guard_base + guard_page, guard_page, PROT_NONE) != 0)
		return -1;
	return 0;
}

static int
guard_teardown(void **state)
{
	(void)state;
	munmap(guard_base, 2 * guard_page);
	return 0;
}

static uint8_t *
guard_place(const uint8_t *bytes, size_t len)
{
	uint8_t *p = guard_base + guard_page - len;

	memcpy(p, bytes, len);
	return p;
}

static void
test_case(void **state)
{
	const struct dcase *c = *state;
	struct mpn_mptcp_opt o;
	uint8_t raw[64];
	char line[256], want[256];
	size_t len;
	int rc, n;

	len = unhex(c->hex, raw, sizeof(raw));
	assert_int_equal(raw[0], 30);
	assert_int_equal(raw[1], len);

	rc = mpn_mptcp_decode(guard_place(raw, len), (uint8_t)len, c->tcp_flags,
			c->hint, &o);
	assert_int_equal(rc, c->rc);
	assert_int_equal(o.subtype, c->subtype);
	assert_int_equal(o.len, len);
	assert_int_equal(o.malformed, c->rc == -EBADMSG);
	assert_int_equal(o.malformed_why, c->why);

	n = mpn_mptcp_format(&o, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(line));
	if (c->line != NULL) {
		assert_string_equal(line, c->line);
	} else {
		snprintf(want, sizeof(want), "%s malformed (%s) len %zu",
				mpn_mptcp_subtype_name(c->subtype),
				mpn_mptcp_malformed_name(c->why), len);
		assert_string_equal(line, want);
	}

	/* A malformed option carries no decoded field. */
	if (c->rc != 0) {
		static const uint8_t zero[sizeof(o.u)];

		assert_memory_equal(&o.u, zero, sizeof(o.u));
	}
}

static const struct mpn_mptcp_opt *
decode_hex(const char *hex, uint8_t flags, int hint, int want_rc)
{
	static struct mpn_mptcp_opt o;
	uint8_t raw[64];
	size_t len = unhex(hex, raw, sizeof(raw));

	assert_int_equal(mpn_mptcp_decode(raw, (uint8_t)len, flags, hint, &o),
			want_rc);
	return &o;
}

/* Field-level checks where the printed line does not show everything. */
static void
test_fields_mpc(void **state)
{
	const struct mpn_mptcp_opt *o;

	(void)state;
	o = decode_hex("1e1801818f0c7c64a6a32ac173bb150358a0aecb0010abcd", ACK, -1, 0);
	assert_int_equal(o->u.mpc.version, 1);
	assert_int_equal(o->u.mpc.flags, MPN_MPTCP_CAP_A | MPN_MPTCP_CAP_H);
	assert_true(o->u.mpc.has_sndkey && o->u.mpc.has_rcvkey);
	assert_true(o->u.mpc.has_data_len && o->u.mpc.has_csum);
	assert_true(o->u.mpc.sndkey == 0x8f0c7c64a6a32ac1ULL);
	assert_true(o->u.mpc.rcvkey == 0x73bb150358a0aecbULL);
	assert_int_equal(o->u.mpc.data_len, 16);
	assert_int_equal(o->u.mpc.csum, 0xabcd);

	o = decode_hex("1e040101", SYN, -1, 0);
	assert_false(o->u.mpc.has_sndkey || o->u.mpc.has_rcvkey ||
			o->u.mpc.has_data_len || o->u.mpc.has_csum);

	o = decode_hex("1e0c00819c9eabd1e46a33b2", SYN, -1, 0);
	assert_int_equal(o->u.mpc.version, 0);
	assert_true(o->u.mpc.has_sndkey);
	assert_false(o->u.mpc.has_rcvkey);
	/* v0: the H bit means HMAC-SHA1 and C..H are all crypto bits. */
	assert_true(o->u.mpc.flags & MPN_MPTCP_CAP_H);
	assert_int_equal(o->u.mpc.flags & ~MPN_MPTCP_CAP_V0_CRYPTO, MPN_MPTCP_CAP_A);
}

static void
test_fields_join(void **state)
{
	static const uint8_t hmac[20] = {
		0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, 0x43, 0xb5,
		0x35, 0xfb, 0x70, 0xef, 0x66, 0x07, 0xdf, 0x2e, 0x6c, 0x7a,
	};
	const struct mpn_mptcp_opt *o;

	(void)state;
	o = decode_hex("1e0c1105deadbeef01020304", SYN, -1, 0);
	assert_int_equal(o->u.join.form, MPN_MPTCP_JOIN_SYN);
	assert_true(o->u.join.backup);
	assert_int_equal(o->u.join.addr_id, 5);
	assert_int_equal(o->u.join.token, 0xdeadbeef);
	assert_int_equal(o->u.join.nonce, 0x01020304);

	o = decode_hex("1e1010015ab680c7884af03d33abe9d5", SYNACK, -1, 0);
	assert_int_equal(o->u.join.form, MPN_MPTCP_JOIN_SYNACK);
	assert_false(o->u.join.backup);
	assert_true(o->u.join.trunc_hmac == 0x5ab680c7884af03dULL);
	assert_int_equal(o->u.join.nonce, 0x33abe9d5);

	o = decode_hex("1e181000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a", ACK, -1, 0);
	assert_int_equal(o->u.join.form, MPN_MPTCP_JOIN_ACK);
	assert_memory_equal(o->u.join.hmac, hmac, sizeof(hmac));
}

static void
test_fields_add_addr(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const struct mpn_mptcp_opt *o;

	(void)state;
	o = decode_hex("1e1e300920010db800000000000000000000000201bb0102030405060708",
			ACK, -1, 0);
	assert_int_equal(o->u.add_addr.version, 1);
	assert_int_equal(o->u.add_addr.family, 6);
	assert_int_equal(o->u.add_addr.addr_id, 9);
	assert_memory_equal(o->u.add_addr.addr, v6, 16);
	assert_true(o->u.add_addr.has_port && o->u.add_addr.has_hmac);
	assert_false(o->u.add_addr.echo);
	assert_int_equal(o->u.add_addr.port, 443);
	assert_true(o->u.add_addr.hmac == 0x0102030405060708ULL);

	o = decode_hex("1e0834010a010202", ACK, -1, 0);
	assert_int_equal(o->u.add_addr.version, 0);
	assert_int_equal(o->u.add_addr.nibble, 4);
	assert_int_equal(o->u.add_addr.family, 4);
	assert_false(o->u.add_addr.has_port || o->u.add_addr.has_hmac ||
			o->u.add_addr.echo);
}

static void
test_fields_dss(void **state)
{
	const struct mpn_mptcp_opt *o;

	(void)state;
	o = decode_hex("1e1c201fa400072d614cb138496de0f100d57c2c000000000001589e",
			ACK, -1, 0);
	assert_int_equal(o->u.dss.flags, 0x1f);
	assert_true(o->u.dss.has_ack && o->u.dss.ack64 && o->u.dss.has_map &&
			o->u.dss.dsn64 && o->u.dss.data_fin && o->u.dss.has_csum);
	assert_true(o->u.dss.data_ack == 0xa400072d614cb138ULL);
	assert_true(o->u.dss.dsn == 0x496de0f100d57c2cULL);
	assert_int_equal(o->u.dss.ssn, 0);
	assert_int_equal(o->u.dss.data_len, 1);
	assert_int_equal(o->u.dss.csum, 0x589e);

	o = decode_hex("1e16200ddb93305ad28a9e1d4e9d705a000000017a60", ACK, -1, 0);
	assert_false(o->u.dss.ack64 || o->u.dss.has_csum || o->u.dss.data_fin);
	assert_true(o->u.dss.dsn64);
}

/*
 * Every DSS flags byte (the reserved bits too) at every length 3..40: the
 * decoder must accept exactly the length the flags give, plus 2 when a
 * mapping is present (the checksum), and decode each field from the right
 * offset. Field bytes are a counting pattern, so a wrong offset shows.
 */
static void
test_dss_every_flag_combination(void **state)
{
	unsigned int flags, len, i, accepted = 0;

	(void)state;
	for (flags = 0; flags < 256; flags++) {
		bool A = flags & 0x01, a = flags & 0x02, M = flags & 0x04;
		bool m = flags & 0x08;
		unsigned int exp = 4 + (A ? (a ? 8 : 4) : 0) +
				(M ? (m ? 8 : 4) + 6 : 0);

		for (len = 3; len <= MPN_MPTCP_OPT_MAX_LEN; len++) {
			uint8_t raw[MPN_MPTCP_OPT_MAX_LEN];
			struct mpn_mptcp_opt o;
			bool ok = len == exp || (M && len == exp + 2);
			unsigned int off = 4;
			uint64_t want;
			int rc;

			raw[0] = 30;
			raw[1] = (uint8_t)len;
			raw[2] = 0x20;
			if (len > 3)
				raw[3] = (uint8_t)flags;
			for (i = 4; i < len; i++)
				raw[i] = (uint8_t)(0x40 + i);
			rc = mpn_mptcp_decode(guard_place(raw, len), (uint8_t)len,
					ACK, -1, &o);
			if (!ok) {
				assert_int_equal(rc, -EBADMSG);
				assert_int_equal(o.malformed_why, len < 4 ?
						MPN_MPTCP_BAD_TOO_SHORT : len > 28 ?
						MPN_MPTCP_BAD_TOO_LONG :
						MPN_MPTCP_BAD_DSS_LENGTH);
				continue;
			}
			accepted++;
			assert_int_equal(rc, 0);
			assert_int_equal(o.u.dss.flags, flags);
			assert_int_equal(o.u.dss.has_ack, A);
			assert_int_equal(o.u.dss.ack64, A && a);
			assert_int_equal(o.u.dss.has_map, M);
			assert_int_equal(o.u.dss.dsn64, M && m);
			assert_int_equal(o.u.dss.data_fin, (flags & 0x10) != 0);
			assert_int_equal(o.u.dss.has_csum, len == exp + 2);
			if (A) {
				for (want = 0, i = 0; i < (a ? 8u : 4u); i++)
					want = want << 8 | (uint8_t)(0x40 + off + i);
				assert_true(o.u.dss.data_ack == want);
				off += a ? 8 : 4;
			}
			if (M) {
				for (want = 0, i = 0; i < (m ? 8u : 4u); i++)
					want = want << 8 | (uint8_t)(0x40 + off + i);
				assert_true(o.u.dss.dsn == want);
				off += m ? 8 : 4;
				assert_int_equal(o.u.dss.ssn,
						(uint32_t)(0x40 + off) << 24 |
						(uint32_t)(0x41 + off) << 16 |
						(uint32_t)(0x42 + off) << 8 |
						(uint32_t)(0x43 + off));
				off += 4;
				assert_int_equal(o.u.dss.data_len,
						(0x40 + off) << 8 | (0x41 + off));
				off += 2;
				if (o.u.dss.has_csum)
					assert_int_equal(o.u.dss.csum,
							(0x40 + off) << 8 | (0x41 + off));
			}
		}
	}
	/* 256 flag bytes: 128 with M (two lengths each), 128 without. */
	assert_int_equal(accepted, 128 * 2 + 128);
}

/*
 * MP_CAPABLE over lengths 2..40, four TCP flag states and every version:
 * the accepted set is exactly RFC 8684 §3.1 / RFC 6824 §3.1.
 */
static void
test_mpc_matrix(void **state)
{
	static const uint8_t flag_states[] = { SYN, SYNACK, ACK, 0 };
	unsigned int len, f, v, accepted = 0;

	(void)state;
	for (len = 3; len <= MPN_MPTCP_OPT_MAX_LEN; len++)
		for (f = 0; f < sizeof(flag_states); f++)
			for (v = 0; v < 16; v++) {
				uint8_t raw[MPN_MPTCP_OPT_MAX_LEN] = { 30, (uint8_t)len,
					(uint8_t)v };
				uint8_t tf = flag_states[f];
				bool syn = tf & SYN, ack = tf & ACK, ok;
				struct mpn_mptcp_opt o;
				int rc;

				ok = (len == 4 && syn && !ack && v >= 1) ||
					(len == 12 && syn && !ack && v == 0) ||
					(len == 12 && syn && ack && v <= 1) ||
					(len == 20 && !syn && v <= 1) ||
					((len == 22 || len == 24) && !syn && v == 1);
				rc = mpn_mptcp_decode(guard_place(raw, len),
						(uint8_t)len, tf, -1, &o);
				assert_int_equal(rc, ok ? 0 : -EBADMSG);
				assert_int_equal(o.subtype, MPN_MPTCP_MP_CAPABLE);
				accepted += ok;
			}
	/* 4: 15 versions; 12: 1 + 2; 20: 2 x 2 flag states; 22, 24: 2 each. */
	assert_int_equal(accepted, 15 + 3 + 4 + 2 + 2);
}

/* MP_JOIN: the length fixes the form, the form fixes the handshake step. */
static void
test_join_matrix(void **state)
{
	static const uint8_t flag_states[] = { SYN, SYNACK, ACK, 0 };
	unsigned int len, f, accepted = 0;

	(void)state;
	for (len = 3; len <= MPN_MPTCP_OPT_MAX_LEN; len++)
		for (f = 0; f < sizeof(flag_states); f++) {
			uint8_t raw[MPN_MPTCP_OPT_MAX_LEN] = { 30, (uint8_t)len, 0x10 };
			uint8_t tf = flag_states[f];
			bool syn = tf & SYN, ack = tf & ACK, ok;
			struct mpn_mptcp_opt o;
			int rc;

			ok = (len == 12 && syn && !ack) || (len == 16 && syn && ack) ||
				(len == 24 && !syn);
			rc = mpn_mptcp_decode(guard_place(raw, len), (uint8_t)len, tf,
					-1, &o);
			assert_int_equal(rc, ok ? 0 : -EBADMSG);
			if (!ok && (len == 12 || len == 16 || len == 24))
				assert_int_equal(o.malformed_why, MPN_MPTCP_BAD_HANDSHAKE);
			accepted += ok;
		}
	assert_int_equal(accepted, 4);
}

static void
check_add_addr_form(unsigned int ver, unsigned int fam, bool port, bool echo)
{
	unsigned int alen = fam == 4 ? 4 : 16, len, i;
	bool hmac = ver == 1 && !echo;
	uint8_t raw[MPN_MPTCP_OPT_MAX_LEN];
	struct mpn_mptcp_opt o;
	int hint;

	len = 4 + alen + (port ? 2 : 0) + (hmac ? 8 : 0);
	raw[0] = 30;
	raw[1] = (uint8_t)len;
	raw[2] = (uint8_t)(0x30 | (ver == 0 ? fam : echo));
	raw[3] = 42;
	for (i = 4; i < len; i++)
		raw[i] = (uint8_t)i;
	for (hint = -1; hint <= 1; hint++) {
		if (hint >= 0 && (unsigned int)hint != ver)
			continue;
		assert_int_equal(mpn_mptcp_decode(guard_place(raw, len), (uint8_t)len,
				ACK, hint, &o), 0);
		assert_int_equal(o.u.add_addr.version, ver);
		assert_int_equal(o.u.add_addr.family, fam);
		assert_int_equal(o.u.add_addr.addr_id, 42);
		assert_int_equal(o.u.add_addr.has_port, port);
		assert_int_equal(o.u.add_addr.echo, ver == 1 && echo);
		assert_int_equal(o.u.add_addr.has_hmac, hmac);
		assert_int_equal(o.u.add_addr.addr[0], 4);
		if (port)
			assert_int_equal(o.u.add_addr.port, (4 + alen) << 8 | (5 + alen));
		if (hmac)
			assert_int_equal(o.u.add_addr.hmac & 0xff, len - 1);
	}
}

/*
 * ADD_ADDR without a version hint: every well-formed v0 option (IPVer 4/6,
 * with and without port) and every well-formed v1 option (echo or HMAC,
 * with and without port, reserved bits clear) decodes as its own version
 * and family. With the right hint it decodes the same.
 */
static void
test_add_addr_disambiguation(void **state)
{
	unsigned int fam, port, echo;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2)
		for (port = 0; port <= 1; port++) {
			check_add_addr_form(0, fam, port, false);
			for (echo = 0; echo <= 1; echo++)
				check_add_addr_form(1, fam, port, echo);
		}
}

static void
test_invalid_arguments(void **state)
{
	uint8_t raw[4] = { 30, 4, 0x80, 0x00 };
	const uint8_t aa_v0[8] = { 30, 8, 0x34, 1, 10, 1, 2, 2 };
	struct mpn_mptcp_opt o;
	char buf[8];

	(void)state;
	assert_int_equal(mpn_mptcp_decode(NULL, 4, ACK, -1, &o), -EINVAL);
	assert_int_equal(mpn_mptcp_decode(raw, 4, ACK, -1, NULL), -EINVAL);
	assert_int_equal(mpn_mptcp_decode(raw, 1, ACK, -1, &o), -EINVAL);
	assert_int_equal(mpn_mptcp_decode(raw, 0, ACK, -1, &o), -EINVAL);
	assert_int_equal(mpn_mptcp_decode(raw, 3, ACK, -1, &o), -EINVAL);
	raw[0] = 29;
	assert_int_equal(mpn_mptcp_decode(raw, 4, ACK, -1, &o), -EINVAL);
	raw[0] = 30;
	/* An out-of-range hint means "unknown": the nibble decides. */
	assert_int_equal(mpn_mptcp_decode(aa_v0, 8, ACK, 7, &o), 0);
	assert_int_equal(o.u.add_addr.version, 0);
	assert_int_equal(mpn_mptcp_format(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mpn_mptcp_format(&o, NULL, 0), -EINVAL);
}

static void
test_names(void **state)
{
	unsigned int i;

	(void)state;
	assert_string_equal(mpn_mptcp_subtype_name(MPN_MPTCP_MP_CAPABLE), "mp-capable");
	assert_string_equal(mpn_mptcp_subtype_name(MPN_MPTCP_MP_TCPRST), "mp-tcprst");
	assert_string_equal(mpn_mptcp_subtype_name(MPN_MPTCP_PRIVATE), "private");
	assert_string_equal(mpn_mptcp_subtype_name(0xa), "unknown");
	assert_string_equal(mpn_mptcp_subtype_name(MPN_MPTCP_SUBTYPE_NONE), "unknown");
	for (i = 0; i < MPN_MPTCP_BAD_MAX; i++) {
		assert_non_null(mpn_mptcp_malformed_name((uint8_t)i));
		assert_string_not_equal(mpn_mptcp_malformed_name((uint8_t)i), "unknown");
	}
	assert_string_equal(mpn_mptcp_malformed_name(MPN_MPTCP_BAD_MAX), "unknown");
	assert_string_equal(mpn_mptcp_malformed_name(0xff), "unknown");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(0), "unspecified error");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(1), "MPTCP-specific error");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(2), "lack of resources");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(3),
			"administratively prohibited");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(4), "too much outstanding data");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(5), "unacceptable performance");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(6), "middlebox interference");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(7), "unknown");
	assert_string_equal(mpn_mptcp_tcprst_reason_name(255), "unknown");
}

/* mpn_mptcp_format() truncates like snprintf() and reports the full length. */
static void
test_format_truncation(void **state)
{
	const struct mpn_mptcp_opt *o;
	char full[256], small[16];
	int n, m;

	(void)state;
	o = decode_hex("1e140101d1ead00377b55779ac88245795309269", ACK, -1, 0);
	n = mpn_mptcp_format(o, full, sizeof(full));
	memset(small, 'x', sizeof(small));
	m = mpn_mptcp_format(o, small, sizeof(small));
	assert_int_equal(n, m);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, full, sizeof(small) - 1);
	assert_int_equal(mpn_mptcp_format(o, small, 0), n);
	assert_int_equal(small[0], full[0]);
}

/* Decode and format, and check the result is self-consistent. */
static void
check_one(const uint8_t *raw, uint8_t len, uint8_t tf, int hint)
{
	struct mpn_mptcp_opt o;
	char line[256];
	int rc, n;

	rc = mpn_mptcp_decode(guard_place(raw, len), len, tf, hint, &o);
	assert_true(rc == 0 || rc == -EBADMSG || rc == -ENOTSUP);
	assert_int_equal(o.len, len);
	assert_int_equal(o.malformed, rc == -EBADMSG);
	assert_int_equal(o.malformed_why == MPN_MPTCP_OK, rc != -EBADMSG);
	assert_true(o.malformed_why < MPN_MPTCP_BAD_MAX);
	if (len > MPN_MPTCP_OPT_MAX_LEN)
		assert_int_equal(rc, -EBADMSG);
	if (o.subtype == MPN_MPTCP_REMOVE_ADDR && rc == 0)
		assert_int_equal(o.u.rm_addr.n, len - 3);
	n = mpn_mptcp_format(&o, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
}

/*
 * Every prefix of every valid fixture, at every TCP flag state and hint,
 * with the length byte set to the prefix length as the walker guarantees:
 * the decoder must not read past it (the guard page faults if it does).
 */
static void
test_prefixes_never_read_past_len(void **state)
{
	static const uint8_t flag_states[] = { SYN, SYNACK, ACK, 0 };
	unsigned int i, p, f, checked = 0;
	int hint;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		uint8_t raw[64];
		size_t len = unhex(cases[i].hex, raw, sizeof(raw));

		for (p = 2; p <= len; p++) {
			raw[1] = (uint8_t)p;
			for (f = 0; f < sizeof(flag_states); f++)
				for (hint = -1; hint <= 1; hint++) {
					check_one(raw, (uint8_t)p, flag_states[f], hint);
					checked++;
				}
		}
	}
	assert_true(checked > 10000);
}

/* xorshift64*: a fixed seed makes every run check the same inputs. */
static uint64_t rng_state = 0x6d707463704e524dULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/*
 * Seeded random options: random lengths 2..255 (above 40 they can only come
 * from a buggy caller, and must still be handled), random bytes, with the
 * subtype nibble biased towards the assigned values, random flags and hint.
 */
static void
test_random_options(void **state)
{
	unsigned int iter, i;

	(void)state;
	for (iter = 0; iter < 400000; iter++) {
		uint8_t raw[255];
		uint64_t r = rng();
		uint8_t len = (uint8_t)(iter & 1 ? 2 + r % 39 : 2 + r % 254);
		int hint = (int)((r >> 8) % 3) - 1;
		uint8_t tf = (uint8_t)(r >> 16);

		for (i = 0; i < len; i += 8) {
			uint64_t b = rng();

			memcpy(raw + i, &b, len - i < 8 ? len - i : 8);
		}
		raw[0] = 30;
		raw[1] = len;
		if (len > 2 && (r >> 24) % 4 != 0)
			raw[2] = (uint8_t)(((r >> 32) % 9) << 4 | (raw[2] & 0x0f));
		check_one(raw, len, tf, hint);
	}
}

int
main(void)
{
	static struct CMUnitTest case_tests[N_CASES];
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_mpc),
		cmocka_unit_test(test_fields_join),
		cmocka_unit_test(test_fields_add_addr),
		cmocka_unit_test(test_fields_dss),
		cmocka_unit_test(test_dss_every_flag_combination),
		cmocka_unit_test(test_mpc_matrix),
		cmocka_unit_test(test_join_matrix),
		cmocka_unit_test(test_add_addr_disambiguation),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format_truncation),
		cmocka_unit_test(test_prefixes_never_read_past_len),
		cmocka_unit_test(test_random_options),
	};
	unsigned int i;
	int fails;

	for (i = 0; i < N_CASES; i++) {
		case_tests[i].name = cases[i].name;
		case_tests[i].test_func = test_case;
		case_tests[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	fails = _cmocka_run_group_tests("mptcp_decode_fixtures", case_tests, N_CASES,
			guard_setup, guard_teardown);
	fails += cmocka_run_group_tests_name("mptcp_decode", tests, guard_setup,
			guard_teardown);
	return fails;
}
