/* bcryptprimitives.dll for Wine prefixes that lack it (Debian's Wine 8): Rust's std (1.78+) gets its random
 * bytes from ProcessPrng, which real Windows 10+ exports from this DLL. Forward it to RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. Only for the test prefix; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
