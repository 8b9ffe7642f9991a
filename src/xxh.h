/*
 * xxh.h -- xxHash, through its x86 dispatcher where the library has one:
 * Debian's libxxhash is built for the baseline CPU (SSE2), and its
 * XXH3_*_dispatch functions pick AVX2 or AVX-512 at run time -- XXH3 at
 * 66 GB/s instead of 16 on the machines haul is measured on. Include this
 * rather than <xxhash.h>.
 */
#ifndef HAUL_XXH_H
#define HAUL_XXH_H

#include <xxhash.h>

#if defined(HAVE_XXH_X86DISPATCH_H) && defined(HAVE_XXH3_64BITS_UPDATE_DISPATCH)
#include <xxh_x86dispatch.h>
#endif

#endif
