/* fake_sdk.h: how the host fakes report a broken SDK contract. The real drivers check their
 * preconditions with DEV_ASSERT (misaligned buffer, driver not initialized); the fakes count each
 * violation, print it, and fail the call, so a test can assert that the board broke none. */
#ifndef FAKE_SDK_H
#define FAKE_SDK_H

void fake_sdk_violation(const char *what);
unsigned fake_sdk_violations(void);
void fake_sdk_reset_violations(void);

#endif
