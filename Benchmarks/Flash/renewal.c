/* renewal.c: profile (c) of scripts/targets/bench-flash: mqtt_resume_backoff.c plus certificate
 * renewal (tcu_renewal_due, tcu_csr_build, tcu_renew: CSR, EST simplereenroll, rekey and the
 * power-safe swap). */
#include "profile_calls.h"
int main(void) {
    tcu_backoff backoff = {0};
    uint64_t now_ms = 0;
    int64_t now_unix = 0;
    for (;;) {
        tcu_client_config config = {.host = "backend", .port = 8883, .flags = TCU_FLAG_RESUME};
        uint8_t buffer[64];
        tcu_status status;
        tcu_client *client = connect_and_send(&config, buffer, &status);
        now_ms = telemetry_session(client, buffer, &backoff, now_ms);
        if (tcu_renewal_due(&board_hal, now_unix, 30 * 86400) == 1) {
            uint8_t csr[1024];
            size_t csr_length;
            tcu_csr_build(&board_hal, "tcu-0001", TCU_KEY_CURRENT, csr, sizeof csr, &csr_length);
            tcu_renewal_config renewal = {.device_id = "tcu-0001", .rekey = 1};
            tcu_renew(&board_hal, &config, &renewal);
        }
        now_unix += 60;
    }
}
