import ArgumentParser

/// tcu-sim: one simulated telematics unit, running the TCULink core over the host HAL.
@main
struct TCUSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcu-sim",
        abstract: "A simulated vehicle telematics unit: the TCULink core over the host HAL.",
        subcommands: [
            Connect.self, MQTT.self, VerifyServer.self, Keygen.self, CSR.self, Enroll.self, Renew.self, Fleet.self,
            Demo.self,
        ]
    )
}
