// Package profiles will hold each worker's career trajectory, the signed
// attestations that back it and the transparency log of their issuance and
// revocation; nothing is implemented here yet.
package profiles
