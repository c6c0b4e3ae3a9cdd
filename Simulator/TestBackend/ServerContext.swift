import CWolfSSL
import Foundation

/// wolfSSL's server context for the backend: TLS 1.2+, our certificate, client
/// certificates required and verified against the client CA and the CRL.
/// Freed when the last connection using it ends.
final class ServerContext: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ configuration: BackendServer.Configuration) throws {
        _ = wolfSSL_Init()
        guard let context = wolfSSL_CTX_new(wolfSSLv23_server_method()) else {
            _ = wolfSSL_Cleanup()
            throw HostError("wolfSSL: cannot create a server context")
        }
        pointer = context
        func check(_ status: Int32, _ what: String) throws {
            guard status == WOLFSSL_SUCCESS else { throw HostError("\(what) (wolfSSL \(status))") }
        }
        try check(wolfSSL_CTX_SetMinVersion(context, Int32(WOLFSSL_TLSV1_2)), "cannot set TLS 1.2 as the minimum")
        try check(
            wolfSSL_CTX_use_certificate_chain_file(context, configuration.certificateChainFile),
            "\(configuration.certificateChainFile): not a usable PEM certificate chain")
        try check(
            wolfSSL_CTX_use_PrivateKey_file(context, configuration.keyFile, Int32(WOLFSSL_FILETYPE_PEM)),
            "\(configuration.keyFile): not a usable PEM private key for the server certificate")
        try check(
            wolfSSL_CTX_load_verify_locations(context, configuration.clientCAFile, nil),
            "\(configuration.clientCAFile): not a usable PEM file of client CA certificates")
        guard configuration.requireClientCertificate else {
            // The enrollment listener: no client certificate asked for.
            wolfSSL_CTX_set_verify(context, Int32(WOLFSSL_VERIFY_NONE), nil)
            return
        }
        // Mutual TLS is required: no certificate, no connection.
        wolfSSL_CTX_set_verify(
            context, Int32(WOLFSSL_VERIFY_PEER) | Int32(WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT), clientVerifyCallback)
        if let crlFile = configuration.crlFile {
            guard let crl = FileManager.default.contents(atPath: crlFile) else {
                throw HostError("\(crlFile): CRL not found")
            }
            try check(wolfSSL_CTX_EnableCRL(context, Int32(WOLFSSL_CRL_CHECKALL)), "cannot enable CRL checking")
            try check(
                crl.withUnsafeBytes {
                    wolfSSL_CTX_LoadCRLBuffer(
                        context, $0.bindMemory(to: UInt8.self).baseAddress, $0.count, Int32(WOLFSSL_FILETYPE_PEM))
                }, "\(crlFile): not a usable PEM CRL")
        }
    }

    deinit {
        wolfSSL_CTX_free(pointer)
        _ = wolfSSL_Cleanup()
    }
}
