# Everything beyond the scripts a person runs (scripts/setup, demo, test, format, bench): the
# builds, checks and tools that scripts/test and scripts/bench use, as targets. Each target's
# script (scripts/targets/) skips the steps whose inputs have not changed, so running one twice
# costs nothing. `make` alone lists them.
.PHONY: help check-embedded embedded host-firmware run-host-firmware wasm2c run-wasm2c-ppc board-tests \
	wolfssl-cross board-config-core demo-openssl limbo test-pki path-chains bench-idle bench-wasm2c bench-mqtt bench-flash measure-stack mosquitto-auth bench-fleet-mqtt check-headers

help:
	@sed -n 's/^## //p' Makefile

## check-embedded      the core compiled in Embedded Swift mode for the host (the portability check)
check-embedded:
	scripts/targets/check-embedded
## embedded            the core for armv7em and riscv32 bare metal; prints its size per target
embedded:
	scripts/targets/build-embedded
## host-firmware       the host "firmware" image (C super-loop + Embedded core) and the C API tests
host-firmware:
	scripts/targets/build-host-firmware
## run-host-firmware   that image against a server: make run-host-firmware ARGS="HOST PORT NAME CHAIN KEY TRUST"
run-host-firmware: host-firmware
	scripts/targets/run-host-firmware $(ARGS)
## wasm2c              the core and wolfSSL as one wasm module translated to C, for the host and PowerPC
wasm2c:
	scripts/targets/build-wasm2c
## run-wasm2c-ppc      the PowerPC build under qemu-ppc: make run-wasm2c-ppc ARGS="HOST PORT NAME CHAIN KEY TRUST"
run-wasm2c-ppc: wasm2c
	scripts/targets/run-wasm2c-ppc $(ARGS)
## board-tests         the MPC5748G board HAL's tests, natively and big-endian under qemu-ppc
board-tests:
	scripts/targets/test-mpc5748g
## wolfssl-cross       wolfSSL cross-built for a board configuration (cached in ~/.cache/tculink)
wolfssl-cross:
	scripts/targets/build-wolfssl-cross $(ARGS)
## board-config-core   the core over the board-configuration wolfSSL (what the benchmarks link)
board-config-core:
	scripts/targets/build-board-config-core
## demo-openssl        the device's side of the demo against openssl s_server
demo-openssl:
	scripts/targets/demo-openssl
## limbo               score tcu-sim verify-server on the x509-limbo corpus: make limbo ARGS=LIMBO_JSON
limbo:
	scripts/targets/limbo-check $(ARGS)
## test-pki            the OpenSSL-made test PKI: make test-pki DIR=/tmp/pki
test-pki:
	scripts/targets/make-test-pki $(DIR)
## path-chains         the path validator's test chains: make path-chains DIR=/tmp/chains
path-chains:
	scripts/targets/make-path-test-chains $(DIR)
## bench-idle          the backend holding thousands of idle mutual-TLS connections
bench-idle:
	scripts/targets/bench-idle-connections
## bench-wasm2c        the wasm2c build's cost per handshake against the native one
bench-wasm2c:
	scripts/targets/bench-wasm2c
## bench-mqtt          a QoS 1 publish through the C API against a C loop over wolfSSL; the MQTT flash
bench-mqtt:
	scripts/targets/bench-mqtt
## bench-flash         the core's share of three firmware-profile images linked with --gc-sections (armv7em, riscv32)
bench-flash:
	scripts/targets/bench-flash
## measure-stack       the deepest stack of a handshake and of a QoS 1 publish through the C API (painted stack)
measure-stack:
	scripts/targets/measure-stack
## mosquitto-auth      tculink-mosquitto-auth, the broker plugin (and its sanitizer build for the tests)
mosquitto-auth:
	scripts/targets/build-mosquitto-auth
## bench-fleet-mqtt    10,000 simulated TCUs over MQTT on two event-loop threads: rates, RSS per device
bench-fleet-mqtt:
	scripts/targets/bench-fleet-mqtt $(ARGS)
## check-headers       tculink.h and tcu_hal.h alone, strict C99 and C++11, warnings as errors (host and arm-none-eabi)
check-headers:
	scripts/targets/check-headers
