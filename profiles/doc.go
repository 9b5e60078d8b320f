// Package profiles keeps each worker's career trajectory — employment
// periods, trainings, certifications and skills — where every line is
// either attested (backed by a signed credential from the platform, an
// employer or a certifier) or declared (the worker's own word).
//
// Attestations are W3C Verifiable Credentials 2.0 signed with the
// eddsa-jcs-2022 cryptosuite (profiles/credential) by keys published in
// did:web documents (profiles/did); each one has a bit in a Bitstring
// Status List for revocation (profiles/statuslist), and every issuance and
// revocation is appended to a transparency log (profiles/tlog) whose signed
// checkpoints the platform publishes. A bundle of all of this lets anyone
// verify a credential offline (profiles/verify).
//
// Data comes from the workers (declared lines, share links), from issuers
// through the API (attestations, bulk CSV files) and from the marketplace
// (a completed, evaluated dossier attests its training). It goes to the
// stores (store/bolt, store/mongo), to the skills graph (attested skills,
// which matching and recommendations weigh) and to whoever a worker
// shares a link with.
package profiles
