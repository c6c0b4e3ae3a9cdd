/* board_clock.c: wall time from the RTC counter, monotonic milliseconds from OSIF.
 *
 * The MPC5748G's RTC is a free-running 32-bit counter, not a calendar, and it restarts from 0 at
 * power-on reset. So the wall clock is "not set" until the firmware learns the time
 * (tcu_mpc5748g_clock_set) and pins it to a counter value; from then on wall = base + elapsed
 * counts. Both counters are extended to 64 bits here, so they never go back when they wrap, as
 * long as the clock is read more often than once per wrap (68 years for the RTC at 2 Hz, 49 days
 * for OSIF milliseconds). */
#include "board_internal.h"
#include "device_registers.h"
#include "osif.h"

/* wolfSSL's XTIME (USER_TIME) has no context argument; it reads the board that init registered. */
static tcu_mpc5748g *active_clock;

static uint64_t rtc_now(tcu_mpc5748g *board) {
    uint32_t count = RTC->RTCCNT;
    board->rtc_ticks += (uint32_t)(count - board->rtc_last);
    board->rtc_last = count;
    return board->rtc_ticks;
}

void tcu_mpc_clock_init(tcu_mpc5748g *board) {
    board->wall_set = 0;
    board->rtc_last = RTC->RTCCNT;
    board->rtc_ticks = board->rtc_last;
    board->ms_last = OSIF_GetMilliseconds();
    board->ms_ticks = board->ms_last;
    active_clock = board;
}

void tcu_mpc_clock_release(tcu_mpc5748g *board) {
    if (active_clock == board) active_clock = NULL;
}

void tcu_mpc5748g_clock_set(tcu_mpc5748g *board, int64_t unix_seconds) {
    board->rtc_base = rtc_now(board);
    board->wall_base_seconds = unix_seconds;
    board->wall_set = 1;
}

int tcu_mpc_clock_wall_time(void *context, int64_t *unix_seconds) {
    tcu_mpc5748g *board = context;
    if (unix_seconds == NULL) return 1;
    /* An RTC that is not counting (RTCC[CNTEN] clear) cannot carry a learned time forward. */
    if (!board->wall_set || (RTC->RTCC & RTC_RTCC_CNTEN_MASK) == 0U) return 1;
    uint64_t elapsed = (rtc_now(board) - board->rtc_base) / TCU_MPC_RTC_TICKS_PER_SECOND;
    *unix_seconds = board->wall_base_seconds + (int64_t)elapsed;
    return 0;
}

uint64_t tcu_mpc_clock_monotonic_ms(void *context) {
    tcu_mpc5748g *board = context;
    uint32_t now = OSIF_GetMilliseconds();
    board->ms_ticks += (uint32_t)(now - board->ms_last);
    board->ms_last = now;
    return board->ms_ticks;
}

#ifdef USER_TIME
/* wolfSSL's certificate date checks. "Not set" answers 0 (1970): every certificate is then "not
 * yet valid" to wolfSSL, and the core's verify callback applies its clock-not-set policy. */
time_t XTIME(time_t *timer) {
    int64_t now = 0;
    if (active_clock == NULL || tcu_mpc_clock_wall_time(active_clock, &now) != 0) now = 0;
    if (timer != NULL) *timer = (time_t)now;
    return (time_t)now;
}

long long tcu_mpc_xtime_ms(void *unused) {
    (void)unused;
    int64_t now = 0;
    if (active_clock == NULL) return 0;
    if (tcu_mpc_clock_wall_time(active_clock, &now) == 0) return (long long)now * 1000LL;
    return (long long)tcu_mpc_clock_monotonic_ms(active_clock);
}
#endif
