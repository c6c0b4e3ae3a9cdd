import ArgumentParser
import HostHAL

/// Where the device identity comes from: a device folder, or three files.
struct DeviceOptions: ParsableArguments {
    @Option(help: "Folder holding chain.pem, key.pem and trust.pem.")
    var device: String?

    @Option(name: .customLong("cert-chain"), help: "Device certificate chain (PEM or DER), leaf first.")
    var certChain: String?

    @Option(help: "Device private key (PEM or DER, mode 0600). Development key store: production keys stay in secure hardware.")
    var key: String?

    @Option(help: "Trust anchors for the server's certificate (PEM).")
    var trust: String?

    func keyStore() throws(HostError) -> FileKeyStore {
        if let device {
            return try FileKeyStore(
                chainFile: certChain ?? device + "/chain.pem", keyFile: key ?? device + "/key.pem",
                trustFile: trust ?? device + "/trust.pem")
        }
        guard let certChain, let key, let trust else {
            throw HostError("give --device DIR, or all of --cert-chain, --key and --trust")
        }
        return try FileKeyStore(chainFile: certChain, keyFile: key, trustFile: trust)
    }
}
