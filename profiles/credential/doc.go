// Package credential issues and verifies W3C Verifiable Credentials (Data
// Model 2.0) secured with a Data Integrity proof of the eddsa-jcs-2022
// cryptosuite (W3C Data Integrity EdDSA Cryptosuites v1.0): the document
// and the proof options are canonicalized with RFC 8785 (JCS), hashed with
// SHA-256, and the concatenation proofConfigHash || documentHash is signed
// with Ed25519. Keys are published as Multikey (publicKeyMultibase
// "z6Mk...", multicodec ed25519-pub 0xed01, base58btc).
//
// The package is pure: it reads no clock, no network and no store. Keys
// come from a KeyResolver (profiles/did builds one from did:web
// documents); credentials and status lists go to the profiles stores and
// to the verification bundle (profiles/verify).
package credential
