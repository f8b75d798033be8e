/* SPDX-License-Identifier: BSD-3-Clause */
#include "reason.h"

static const char *const reason_names[MPN_REASON_MAX] = {
#define MPN_REASON_NAME(sym, name, desc) [MPN_REASON_##sym] = name,
	MPN_REASON_LIST(MPN_REASON_NAME)
#undef MPN_REASON_NAME
};

static const char *const reason_descs[MPN_REASON_MAX] = {
#define MPN_REASON_DESC(sym, name, desc) [MPN_REASON_##sym] = desc,
	MPN_REASON_LIST(MPN_REASON_DESC)
#undef MPN_REASON_DESC
};

const char *
mpn_reason_name(enum mpn_reason r)
{
	if ((unsigned int)r >= MPN_REASON_MAX)
		return "unknown-reason";
	return reason_names[r];
}

const char *
mpn_reason_desc(enum mpn_reason r)
{
	if ((unsigned int)r >= MPN_REASON_MAX)
		return "unknown reason";
	return reason_descs[r];
}
