import Foundation
import Testing

@testable import TCULink

/// A path link whose signature nobody verified, through a key-identifier differential (found by
/// review; fixed: `keysAgree` compares candidate issuers by name alone).
///
/// wolfSSL looks a certificate's issuer up by authorityKeyIdentifier after normalizing key
/// identifiers (GetHashId: an identifier that is not 20 bytes long is replaced by its SHA-1), while
/// `PathValidator.issued(_:by:)` and `keysAgree` compare the raw bytes. A CA "S" with a 32-byte
/// subjectKeyIdentifier (RFC 7093 style) signs a leaf whose AKI is SHA-1(S.SKI): wolfSSL verifies the
/// leaf with S's key, but the validator does not count S among the leaf's possible issuers, so the
/// "all candidate issuers share one key" rule never sees S. It builds leaf → P → root instead, where P
/// is another CA with the same subject and no SKI, and judges P, never S.
///
/// Here S is expired (2015-2020; its date error is set aside and it is filed as "verified"), P is
/// valid, and the leaf (victim.example) does NOT verify under P's key (`openssl verify` says
/// "certificate signature failure"). Whoever holds the key of an old, expired (or name-constrained,
/// or clientAuth-only…) CA that shares its subject with a current CA can impersonate any server.
/// Certificates made with python3 `cryptography` (see the review report).
@Suite struct KeyIdentifierDifferentialTests {
    static func der(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    /// "CN=Review Root", self-signed, SKI = 20 bytes.
    static let root = der(
        "MIIBXzCCAQSgAwIBAgICA+kwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLUmV2aWV3IFJvb3QwHhcNMjQwMTAxMDAwMDAwWhcNMzQw"
            + "MTAxMDAwMDAwWjAWMRQwEgYDVQQDDAtSZXZpZXcgUm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABF6OfNijx9EoYGjSs/8U"
            + "lX/Ofz+JxKu5fMFbG8GvQ5sok/0RwW4KxZX6QIIhMYhKSRIfWb4dPacmW7h+jPWApwujQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYD"
            + "VR0PAQH/BAQDAgEGMB0GA1UdDgQWBBTcdunwwABuj5GeDFFcZtu6OYL3hTAKBggqhkjOPQQDAgNJADBGAiEA/C/XOQtiLuivVY3L"
            + "F/H8/tNI175KvbI2q32qi0doS8ICIQDBS38FoKQvj2XTCncz6f4U34eanDy1SBEMXP5aMmLokw==")
    /// "CN=Issuing CA" under the root, valid 2024-2034, no subjectKeyIdentifier, key K_P.
    static let caP = der(
        "MIIBXzCCAQWgAwIBAgICA+owCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLUmV2aWV3IFJvb3QwHhcNMjQwMTAxMDAwMDAwWhcNMzQw"
            + "MTAxMDAwMDAwWjAVMRMwEQYDVQQDDApJc3N1aW5nIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOLsdYaIyCkdp2mLDGb+F"
            + "VhsK4YyDXJJAeycvcL5PjwOo5fCVmCdWcdz2J+Zw8ATM3bKng61Mg+uI/PhYlvSgdKNEMEIwDwYDVR0TAQH/BAUwAwEB/zAOBgNV"
            + "HQ8BAf8EBAMCAQYwHwYDVR0jBBgwFoAU3Hbp8MAAbo+RngxRXGbbujmC94UwCgYIKoZIzj0EAwIDSAAwRQIgF3W5pG/DXey13YRG"
            + "Dc9lWaAkBsk5XkSvS44upTIdefMCIQC3jWc/UMS7lS7ncWaFGKdKG+09JXXOY0/WccUZaLQxwA==")
    /// "CN=Issuing CA" under the root, EXPIRED (2015-2020), 32-byte subjectKeyIdentifier, key K_S.
    static let caS = der(
        "MIIBijCCATCgAwIBAgICA+swCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLUmV2aWV3IFJvb3QwHhcNMTUwMTAxMDAwMDAwWhcNMjAw"
            + "MTAxMDAwMDAwWjAVMRMwEQYDVQQDDApJc3N1aW5nIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJwag7ynhwGc5PtXNwegk"
            + "fr7bH21L7S2nFQ268OaleDUPjrXnqbFZiu45x4UjnF96t6XpPSF+3PpRneNwmvBUk6NvMG0wDwYDVR0TAQH/BAUwAwEB/zAOBgNV"
            + "HQ8BAf8EBAMCAQYwKQYDVR0OBCIEIBueNUeazC75qBOilgWlOIiQT88BVug6kq5Da5zdzfEvMB8GA1UdIwQYMBaAFNx26fDAAG6P"
            + "kZ4MUVxm27o5gveFMAoGCCqGSM49BAMCA0gAMEUCIQDKsAUlQTMqk7VrtNn+jNKzbqSfpXy6zU6aPOE/HaFW8wIgYVQrjmSZdsL6"
            + "OO9PEgVYKGhDDDets9tePMV/XDwSn/g=")
    /// "CN=victim", SAN victim.example, serverAuth, signed with K_S, AKI = SHA-1(S.SKI) (20 bytes).
    static let leaf = der(
        "MIIBhjCCAS2gAwIBAgICA+wwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKSXNzdWluZyBDQTAeFw0yNDAxMDEwMDAwMDBaFw0zNDAx"
            + "MDEwMDAwMDBaMBExDzANBgNVBAMMBnZpY3RpbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIDIqCUcbhViCJSQKdKRDfZU8gED"
            + "ZmC5xrq9Wr1ddt5NrLPK09VYnOT6TmmQFak7Cak8e4CfteYoHlSchW+Xd4OjcTBvMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQD"
            + "AgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMBkGA1UdEQQSMBCCDnZpY3RpbS5leGFtcGxlMB8GA1UdIwQYMBaAFByTjeEoL0rl1AAY"
            + "hXJHsGofTX9YMAoGCCqGSM49BAMCA0cAMEQCIDhO7+S2KgLnQmU+M4962eSWheBruo2Zxuzf59BAR1nMAiAzI0mpw9c7HKuWSrRX"
            + "Xv31Wrd6tfFidC26VJtjC78VdQ==")

    let policy = ServerCertificatePolicy(serverName: Array("victim.example".utf8))
    let now = WallTime.unixSeconds(1_750_000_000)  // June 2025

    @Test func theValidatorMustNotJudgeACAOtherThanTheOneWolfSSLVerifiedTheLeafWith() throws {
        let anchors = [try #require(X509Certificate(der: Self.root))]
        // The leaf's signature verifies only under the expired S; the validator must not accept
        // a path that relies on P for it.
        let verdict = PathValidator.validate(
            presented: [Self.leaf, Self.caS, Self.caP], trustAnchors: anchors, policy: policy, at: now)
        #expect(verdict != nil, "accepted leaf → P → root although the leaf was signed by the expired S")
    }

    @Test func theOfflineVerifierRefusesALeafSignedByAnExpiredCAOfTheSameName() {
        // Control: the leaf does not verify under P alone (wolfSSL: no signer).
        let underPOnly = ServerChainVerifier.verify(
            leaf: Self.leaf, intermediates: [Self.caP], trustAnchors: [Self.root], policy: policy, at: now)
        #expect(underPOnly?.reason == .unknownCA)
        // The bug: with the expired S sent too, wolfSSL verifies the leaf with S (its date error set
        // aside) and the validator judges leaf → P → root. Everything the device demands of S is skipped.
        let withS = ServerChainVerifier.verify(
            leaf: Self.leaf, intermediates: [Self.caS, Self.caP], trustAnchors: [Self.root], policy: policy, at: now)
        #expect(withS != nil, "a leaf signed only by an expired CA was accepted")
    }
}
