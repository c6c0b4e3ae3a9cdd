/* fake_sdk.c: see fake_sdk.h. */
#include "fake_sdk.h"

#include <stdio.h>

static unsigned violations;

void fake_sdk_violation(const char *what) {
    violations++;
    fprintf(stderr, "fake SDK: contract violated: %s\n", what);
}

unsigned fake_sdk_violations(void) { return violations; }

void fake_sdk_reset_violations(void) { violations = 0; }
