/* fake_flash_control.h: what a test can do to the fake C55 data flash that firmware cannot:
 * start from a blank chip, cut the power in the middle of an operation, and reboot. */
#ifndef FAKE_FLASH_CONTROL_H
#define FAKE_FLASH_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

/** A blank, fully erased chip: every block 0xFF, every block locked, power on, counters zero. */
void fake_flash_reset(void);
/** Power fails during the step `steps` from now (0 = the next one). A step is one erase, or one
 *  program chunk of up to 128 bytes; the interrupted step is left half done. -1: never. */
void fake_flash_cut_power_after(long steps);
/** True once the power has been cut; every driver call then fails. */
bool fake_flash_powered_off(void);
/** Reboot: power back, no operation in progress, every block locked again (the reset state). */
void fake_flash_power_on(void);
/** Steps completed since fake_flash_reset. */
unsigned long fake_flash_steps(void);
/** Program attempts refused because the double word was not erased. */
unsigned fake_flash_overprograms(void);
/** The step `steps` from now (0 = the next one) ends as an operation another bus master suspended:
 *  STATUS_SUCCESS, opResult C55_ERS_SUS / C55_PGM_SUS, the array unchanged. -1: never. */
void fake_flash_report_unfinished(long steps);
/** Whole data cache invalidations (MTSPR L1CSR0 CINV) so far. */
unsigned fake_flash_dcache_invalidations(void);
/** The core's data cache on (the reset default of the fake) or off (L1CSR0[CE]). */
void fake_flash_set_dcache(bool enabled);
/** Direct access for tests that model an attacker rewriting flash: the bytes at `address`. */
uint8_t *fake_flash_raw(uint32_t address, uint32_t length);

#endif
