/* firmware_main.c: a host "firmware" image. A C main with a super-loop drives the
 * TCULink core (compiled in Embedded Swift mode) through tculink.h over the POSIX HAL,
 * exactly as TCU firmware would: no threads, no blocking calls into the core.
 *
 *   firmware HOST PORT SERVERNAME CHAIN KEY TRUST [MESSAGE]
 *
 * Exit 0 when the handshake and one request/response completed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s HOST PORT SERVERNAME CHAIN KEY TRUST [MESSAGE]\n", argv[0]);
        return 2;
    }
    const char *message = argc > 7 ? argv[7] : "GET /v1/devices/self HTTP/1.1\r\nHost: tcu\r\nConnection: close\r\n\r\n";

    tcu_posix_hal posix;
    tcu_hal hal;
    char error[512];
    if (tcu_posix_hal_init(&posix, &hal, argv[4], argv[5], argv[6], NULL, error, sizeof error) != 0) {
        fprintf(stderr, "firmware: %s\n", error);
        return 2;
    }
    tcu_client_config config = {
        .host = argv[1], .port = (uint16_t)atoi(argv[2]), .server_name = argv[3],
        .flags = 0, .handshake_timeout_ms = 15000,
    };
    int reason = 0;
    tcu_client *client = tcu_client_create(&hal, &config, &reason);
    if (client == NULL) {
        fprintf(stderr, "firmware: cannot create the client: %s\n", tcu_reason_text(reason));
        tcu_posix_hal_deinit(&posix);
        return 2;
    }

    /* The super-loop: step, and wait on the transport only as long as the core says. */
    int status;
    unsigned loops = 0;
    for (;;) {
        tcu_wait wait = {0};
        status = tcu_client_step(client, &wait);
        loops++;
        if (status != TCU_STATUS_WAITING) break;
        uint64_t now = hal.clock_monotonic_ms(hal.context);
        hal.transport_wait(hal.context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    int exit_code = 1;
    if (status == TCU_STATUS_ESTABLISHED) {
        tcu_connection_info info;
        tcu_client_info(client, &info);
        printf("firmware: established TLS %s %s in %u ms (%u loop turns), client certificate %s\n",
               info.protocol_version == 0x0304 ? "1.3" : "1.2", info.cipher_suite, info.handshake_ms, loops,
               info.acceptance == 3 ? "not yet confirmed" : "accepted");
        size_t length = strlen(message), sent = 0;
        uint64_t deadline = hal.clock_monotonic_ms(hal.context) + 10000;
        while (sent < length && hal.clock_monotonic_ms(hal.context) < deadline) {
            int32_t n = tcu_client_send(client, (const uint8_t *)message + sent, length - sent);
            if (n < 0) break;
            if (n == 0) hal.transport_wait(hal.context, 0, 100);
            sent += (size_t)(n > 0 ? n : 0);
        }
        uint8_t reply[2048];
        int32_t got = 0;
        while (sent == length && hal.clock_monotonic_ms(hal.context) < deadline) {
            got = tcu_client_receive(client, reply, sizeof reply - 1);
            if (got != 0) break;
            hal.transport_wait(hal.context, 1, 100);
        }
        if (got > 0) {
            reply[got] = 0;
            char *line_end = strpbrk((char *)reply, "\r\n");
            if (line_end) *line_end = 0;
            printf("firmware: reply: %s\n", (char *)reply);
            exit_code = 0;
        } else {
            uint8_t alert = 255;
            int why = tcu_client_error(client, &alert);
            printf("firmware: FAILED after the handshake: %s%s\n", why ? tcu_reason_text(why) : "no reply in time",
                   alert != 255 ? " (alert from the server)" : "");
        }
        tcu_client_close(client);
    } else {
        uint8_t alert = 255;
        int why = tcu_client_error(client, &alert);
        if (alert != 255)
            printf("firmware: FAILED: %s (alert %u)\n", tcu_reason_text(why), alert);
        else
            printf("firmware: FAILED: %s\n", tcu_reason_text(why));
    }
    tcu_client_free(client);
    tcu_posix_hal_deinit(&posix);
    return exit_code;
}
