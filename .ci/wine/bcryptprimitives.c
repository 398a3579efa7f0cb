/* ProcessPrng for Wine 8.0 (Debian 12), which has no bcryptprimitives.dll: Rust's standard
 * library (1.78 and later) imports ProcessPrng from it for random numbers, so a Rust program for
 * Windows does not start there. Wine 9 and later ship the DLL; this stand-in is put next to the
 * test executable by .ci/wine/run and only ever runs under Wine in CI. RtlGenRandom
 * (SystemFunction036 in advapi32) is what ProcessPrng wraps on Windows too. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
