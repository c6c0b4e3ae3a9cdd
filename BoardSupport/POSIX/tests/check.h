/* check.h: the one-line check of the C test programs: prints "ok" or "FAILED" with the place. */
#ifndef TCULINK_TESTS_CHECK_H
#define TCULINK_TESTS_CHECK_H
#include <stdio.h>

static int passed, failed;

#define CHECK(condition, name)                                                                     \
    do {                                                                                           \
        if (condition) {                                                                           \
            passed++;                                                                              \
            printf("ok     %s\n", name);                                                           \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAILED %s (%s:%d: %s)\n", name, __FILE__, __LINE__, #condition);              \
        }                                                                                          \
    } while (0)

#endif
