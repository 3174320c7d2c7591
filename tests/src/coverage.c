/* Writes the gcov counters of an instrumented LuaJIT build from a forked
** child, which leaves with _exit and so skips the atexit handler that
** would write them. Without instrumentation (SUITE_COVERAGE 0) it does
** nothing.
*/

#if SUITE_COVERAGE
extern void __gcov_dump(void);
#endif

void suite_coverage_flush(void)
{
#if SUITE_COVERAGE
  __gcov_dump();
#endif
}
