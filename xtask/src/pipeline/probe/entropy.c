/*
 * probe-entropy: an LD_PRELOAD library with which `cargo xtask probe` makes
 * the randomness a deployed LuaJIT asks of the kernel a function of one
 * number, so that probing the same binary twice runs it the same way.
 *
 * LuaJIT seeds its PRNG from getrandom(2) (called through syscall(2) on
 * Linux), and the PRNG decides the string hash seed and where the machine
 * code of traces is placed. A program that crashes only at some placements
 * otherwise crashes in some runs and not in others.
 *
 * With PROBE_ENTROPY_SEED set (a number, decimal or 0x hex), getrandom
 * through syscall(2), getrandom(3) and getentropy(3) fill their buffer from
 * a splitmix64 stream started at that seed; without it every call goes to
 * the C library as usual.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static uint64_t state;
static int seeded = -1;

/* Whether a seed is set; reads it the first time. */
static int have_seed(void)
{
  if (seeded < 0) {
    const char *text = getenv("PROBE_ENTROPY_SEED");
    seeded = text != NULL && *text != '\0';
    if (seeded)
      state = strtoull(text, NULL, 0);
  }
  return seeded;
}

static void fill(void *buffer, size_t length)
{
  unsigned char *bytes = buffer;
  for (size_t i = 0; i < length; i++) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    bytes[i] = (unsigned char)(z ^ (z >> 31));
  }
}

long syscall(long number, ...)
{
  va_list ap;
  va_start(ap, number);
  /* Six register arguments, as the kernel takes them; the unused ones are
   * whatever the caller's registers held, which the kernel ignores. */
  long a0 = va_arg(ap, long), a1 = va_arg(ap, long), a2 = va_arg(ap, long);
  long a3 = va_arg(ap, long), a4 = va_arg(ap, long), a5 = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_getrandom && have_seed()) {
    fill((void *)a0, (size_t)a1);
    return a1;
  }
  static long (*next)(long, ...);
  if (next == NULL)
    next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return next(number, a0, a1, a2, a3, a4, a5);
}

ssize_t getrandom(void *buffer, size_t length, unsigned int flags)
{
  if (have_seed()) {
    fill(buffer, length);
    return (ssize_t)length;
  }
  static ssize_t (*next)(void *, size_t, unsigned int);
  if (next == NULL)
    next = (ssize_t (*)(void *, size_t, unsigned int))dlsym(RTLD_NEXT, "getrandom");
  return next(buffer, length, flags);
}

int getentropy(void *buffer, size_t length)
{
  if (have_seed()) {
    if (length > 256) {
      errno = EIO;
      return -1;
    }
    fill(buffer, length);
    return 0;
  }
  static int (*next)(void *, size_t);
  if (next == NULL)
    next = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "getentropy");
  return next(buffer, length);
}
