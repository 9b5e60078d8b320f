package profiles

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/statuslist"
	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/verify"
)

// LogStore keeps the transparency log (tlog.Store) and its signed
// checkpoints. store/bolt and store/mongo implement it.
type LogStore interface {
	tlog.Store
	// SaveCheckpoint keeps the signed checkpoint of a tree size.
	SaveCheckpoint(ctx context.Context, size uint64, text []byte) error
	// Checkpoint returns the checkpoint of the largest size, nil if none.
	Checkpoint(ctx context.Context) ([]byte, error)
	// CheckpointAt returns the checkpoint of a size, nil if none.
	CheckpointAt(ctx context.Context, size uint64) ([]byte, error)
}

// StatusListPath is where the API serves status list N: StatusListPath + N.
const StatusListPath = "/api/v1/status-lists/"

// StatusListSize is the number of entries of each status list: the
// specification's minimum, so that lists stay small to download.
const StatusListSize = statuslist.MinSize

// Notary signs credentials, keeps the transparency log and publishes the
// documents verifiers need: the platform's and issuers' DID documents,
// the status lists, the checkpoints. It is safe for concurrent use.
type Notary struct {
	store       Store
	logStore    LogStore
	log         *tlog.Log
	signer      *tlog.Signer
	platformKey ed25519.PrivateKey
	aead        cipher.AEAD
	host        string
	baseURL     string
	platformDID string
	now         func() time.Time
	mu          sync.Mutex // serialises this process's log appends
}

// NotaryConfig is what a Notary needs; every field but Now is required.
type NotaryConfig struct {
	Store Store
	Log   LogStore
	// BaseURL is the instance's public address ("https://parcours.example"):
	// its host names the did:web identifiers, and status lists are served
	// under it.
	BaseURL string
	// PlatformKey is the platform's first key, which signs what the
	// platform attests and the status lists until the first rotation: it
	// seeds the platform's key set in the store (see PlatformKeys) and is
	// not used once that set exists. LogKey signs the checkpoints;
	// SealKey (32 bytes) seals the platform's and issuers' keys.
	PlatformKey ed25519.PrivateKey
	LogKey      ed25519.PrivateKey
	SealKey     []byte
	Now         func() time.Time
}

// NewNotary checks the configuration and returns the notary.
func NewNotary(cfg NotaryConfig) (*Notary, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	host, ok := strings.CutPrefix(base, "https://")
	if !ok {
		host, ok = strings.CutPrefix(base, "http://")
	}
	if !ok || host == "" || strings.Contains(host, "/") {
		return nil, fmt.Errorf("profiles: the public URL %q must be http(s)://host[:port] without a path", cfg.BaseURL)
	}
	if cfg.Store == nil || cfg.Log == nil {
		return nil, errors.New("profiles: the notary needs a store and a log store")
	}
	if len(cfg.PlatformKey) != ed25519.PrivateKeySize || len(cfg.LogKey) != ed25519.PrivateKeySize {
		return nil, errors.New("profiles: the platform and log keys must be Ed25519 private keys")
	}
	block, err := aes.NewCipher(cfg.SealKey)
	if err != nil || len(cfg.SealKey) != 32 {
		return nil, errors.New("profiles: the seal key must be 32 bytes")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	pdid, err := did.Platform(host)
	if err != nil {
		return nil, err
	}
	// The checkpoints' origin names the log: the host and a path, as
	// C2SP origins conventionally do.
	signer, err := tlog.NewSigner(strings.ReplaceAll(host, ":", "_")+"/attestations", cfg.LogKey)
	if err != nil {
		return nil, err
	}
	n := &Notary{store: cfg.Store, logStore: cfg.Log, log: tlog.New(cfg.Log), signer: signer, platformKey: cfg.PlatformKey,
		aead: aead, host: host, baseURL: base, platformDID: pdid, now: cfg.Now}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// PlatformDID is the platform's did:web identifier.
func (n *Notary) PlatformDID() string { return n.platformDID }

// BaseURL is the instance's public address.
func (n *Notary) BaseURL() string { return n.baseURL }

// LogKey is the transparency log's verifier key (C2SP signed-note form).
func (n *Notary) LogKey() string { return n.signer.VerifierKey() }

// Log returns the transparency log.
func (n *Notary) Log() *tlog.Log { return n.log }

// IssuerDID returns the did:web identifier of an issuer.
func (n *Notary) IssuerDID(siret string) (string, error) { return did.Issuer(n.host, siret) }

// IssuerDocument returns an issuer's DID document with every key it ever
// had, each with its window of service.
func (n *Notary) IssuerDocument(i Issuer) (*did.Document, error) {
	id, err := n.IssuerDID(i.SIRET)
	if err != nil {
		return nil, err
	}
	return keysDocument(id, i.Keys)
}

// keysDocument is the DID document of id listing keys with their windows.
func keysDocument(id string, keys []IssuerKey) (*did.Document, error) {
	d, err := did.New(id)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		vm, err := d.AddKey(ed25519.PublicKey(k.Public), k.Created)
		if err != nil {
			return nil, err
		}
		if !k.Retired.IsZero() {
			if err := d.Retire(vm.ID, k.Retired); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// newKey makes a key held by the platform for owner (an issuer's SIRET,
// or PlatformIssuer).
func (n *Notary) newKey(owner string, at time.Time) (IssuerKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return IssuerKey{}, err
	}
	return n.sealedKey(owner, priv, at), nil
}

// sealedKey is priv as a platform-held key of owner: its seed sealed with
// owner as associated data, so a sealed key cannot be moved to another
// issuer.
func (n *Notary) sealedKey(owner string, priv ed25519.PrivateKey, at time.Time) IssuerKey {
	nonce := make([]byte, n.aead.NonceSize())
	rand.Read(nonce)
	sealed := n.aead.Seal(nonce, nonce, priv.Seed(), []byte(owner))
	pub := priv.Public().(ed25519.PublicKey)
	return IssuerKey{ID: credential.EncodeMultikey(pub), Public: pub, Sealed: sealed, Created: at.UTC().Truncate(time.Second)}
}

func (n *Notary) unseal(siret string, k IssuerKey) (ed25519.PrivateKey, error) {
	ns := n.aead.NonceSize()
	if len(k.Sealed) < ns {
		return nil, errors.New("profiles: the issuer's key is not held by the platform")
	}
	seed, err := n.aead.Open(nil, k.Sealed[:ns], k.Sealed[ns:], []byte(siret))
	if err != nil {
		return nil, fmt.Errorf("profiles: the issuer's sealed key does not open: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// keyAt returns the key to sign with at a time and its verification method.
type keyAt func(at time.Time) (ed25519.PrivateKey, string, error)

// signerOf returns the signing function of a platform-held key set: at
// each time, the key the DID document d has in service then, so that a
// proof never claims a key outside its window, even around a rotation.
func (n *Notary) signerOf(owner string, keys []IssuerKey, d *did.Document) keyAt {
	return func(at time.Time) (ed25519.PrivateKey, string, error) {
		vm, err := d.Current(at.UTC().Truncate(time.Second))
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", err, ErrConflict)
		}
		for _, k := range keys {
			if k.ID == vm.PublicKeyMultibase {
				key, err := n.unseal(owner, k)
				return key, vm.ID, err
			}
		}
		return nil, "", fmt.Errorf("profiles: no stored key %s: %w", vm.ID, ErrConflict)
	}
}

// statusListURL is the address of status list number list (from 1).
func (n *Notary) statusListURL(list int) string {
	return n.baseURL + StatusListPath + strconv.Itoa(list)
}

// statusEntry is the credentialStatus of the credential holding a global
// status index.
func (n *Notary) statusEntry(index int) credential.Status {
	return statuslist.Entry(n.statusListURL(index/StatusListSize+1), index%StatusListSize)
}

// StatusListCredential returns status list number list (from 1), signed
// by the platform now. ErrNotFound past the lists in use.
func (n *Notary) StatusListCredential(ctx context.Context, list int) ([]byte, error) {
	if list < 1 || list > statuslist.MaxSize/StatusListSize {
		return nil, fmt.Errorf("status list %d: %w", list, ErrNotFound)
	}
	from := (list - 1) * StatusListSize
	set, err := n.store.StatusBits(ctx, from, from+StatusListSize)
	if err != nil {
		return nil, err
	}
	l, _ := statuslist.New(StatusListSize)
	for _, i := range set {
		if err := l.Set(i-from, true); err != nil {
			return nil, err
		}
	}
	now := n.now()
	c, err := statuslist.NewCredential(n.statusListURL(list), n.platformDID, now, l)
	if err != nil {
		return nil, err
	}
	sign, err := n.platformSigner(ctx)
	if err != nil {
		return nil, err
	}
	key, vm, err := sign(now)
	if err != nil {
		return nil, err
	}
	return credential.Issue(c, key, vm, now)
}

// maxLogBatch bounds the entries appended at once (the MongoDB log store
// takes at most 1,000 per append).
const maxLogBatch = 1000

// appendLog appends entries, retrying when another replica appended
// meanwhile, and returns the index of each.
func (n *Notary) appendLog(ctx context.Context, entries ...[]byte) ([]uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]uint64, 0, len(entries))
	for len(entries) > 0 {
		batch := entries[:min(len(entries), maxLogBatch)]
		var first uint64
		var err error
		for try := 0; ; try++ {
			if first, err = n.log.AppendData(ctx, batch...); !errors.Is(err, tlog.ErrConflict) {
				break
			}
			if try == 50 || ctx.Err() != nil {
				return nil, fmt.Errorf("appending to the transparency log: %w", errors.Join(err, ctx.Err()))
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err != nil {
			return nil, err
		}
		for i := range batch {
			out = append(out, first+uint64(i))
		}
		entries = entries[len(batch):]
	}
	return out, nil
}

// issueBatch signs each credential with the key sign gives at, appends their
// issuances to the log in as few appends as it can, and returns the
// records with their documents and leaves; the caller stores them.
func (n *Notary) issueBatch(ctx context.Context, recs []Credential, vcs []*credential.Credential, sign keyAt, at time.Time) ([]Credential, error) {
	key, vm, err := sign(at)
	if err != nil {
		return nil, err
	}
	entries := make([][]byte, len(recs))
	for i, vc := range vcs {
		doc, err := credential.Issue(vc, key, vm, at)
		if err != nil {
			return nil, err
		}
		if entries[i], err = verify.IssuanceEntry(doc); err != nil {
			return nil, err
		}
		recs[i].Document, recs[i].State, recs[i].RevokeLeaf = doc, Issued, -1
		recs[i].IssuedAt = at.UTC().Truncate(time.Millisecond)
	}
	leaves, err := n.appendLog(ctx, entries...)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		recs[i].IssueLeaf = int64(leaves[i])
	}
	return recs, nil
}

// record appends a signed credential's issuance to the log and stores it.
func (n *Notary) record(ctx context.Context, rec Credential, doc []byte) (Credential, error) {
	entry, err := verify.IssuanceEntry(doc)
	if err != nil {
		return Credential{}, err
	}
	leaves, err := n.appendLog(ctx, entry)
	if err != nil {
		return Credential{}, err
	}
	rec.Document, rec.State, rec.IssueLeaf, rec.RevokeLeaf = doc, Issued, int64(leaves[0]), -1
	if rec.IssuedAt.IsZero() {
		rec.IssuedAt = n.now().UTC().Truncate(time.Millisecond)
	}
	return rec, nil
}

// revoke sets the credential's status bit and appends the revocation to
// the log; the caller stores the returned record.
func (n *Notary) revoke(ctx context.Context, c Credential, reason string) (Credential, error) {
	if err := n.store.SetStatusBit(ctx, c.StatusIndex); err != nil {
		return c, err
	}
	at := n.now().UTC().Truncate(time.Second)
	entry, err := verify.RevocationEntry(c.ID, n.statusEntry(c.StatusIndex), at)
	if err != nil {
		return c, err
	}
	leaves, err := n.appendLog(ctx, entry)
	if err != nil {
		return c, err
	}
	c.State, c.RevokedAt, c.RevokeLeaf, c.Reason = Revoked, at, int64(leaves[0]), reason
	return c, nil
}

// Publish signs and keeps a checkpoint of the log's current size, unless
// one exists for it, and returns it.
func (n *Notary) Publish(ctx context.Context) ([]byte, uint64, error) {
	size, err := n.log.Size(ctx)
	if err != nil {
		return nil, 0, err
	}
	if size == 0 {
		return nil, 0, fmt.Errorf("nothing is logged yet: no checkpoint: %w", ErrNotFound)
	}
	if cp, err := n.logStore.CheckpointAt(ctx, size); err != nil || cp != nil {
		return cp, size, err
	}
	root, err := n.log.Root(ctx, size)
	if err != nil {
		return nil, 0, err
	}
	note, err := n.signer.Sign(tlog.Checkpoint{Origin: n.signer.Name(), Size: size, Root: root})
	if err != nil {
		return nil, 0, err
	}
	return note, size, n.logStore.SaveCheckpoint(ctx, size, note)
}

// Checkpoint returns the latest published checkpoint and its size; with
// covering set, one whose tree holds leaf index covering-1 at least,
// publishing one if the latest does not.
func (n *Notary) Checkpoint(ctx context.Context, covering uint64) ([]byte, uint64, error) {
	cp, err := n.logStore.Checkpoint(ctx)
	if err != nil {
		return nil, 0, err
	}
	if cp != nil {
		c, err := tlog.ParseCheckpoint(firstParagraph(cp))
		if err != nil {
			return nil, 0, fmt.Errorf("the stored checkpoint: %w", err)
		}
		if c.Size >= covering && c.Size > 0 {
			return cp, c.Size, nil
		}
	}
	return n.Publish(ctx)
}

// CheckpointAt returns the checkpoint published for a size, ErrNotFound
// if none was.
func (n *Notary) CheckpointAt(ctx context.Context, size uint64) ([]byte, error) {
	cp, err := n.logStore.CheckpointAt(ctx, size)
	if err == nil && cp == nil {
		err = fmt.Errorf("no checkpoint was published for tree size %d: %w", size, ErrNotFound)
	}
	return cp, err
}

// firstParagraph is a signed note's text, without its signatures.
func firstParagraph(note []byte) []byte {
	s := string(note)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return []byte(s[:i+1])
	}
	return note
}

// Bundle returns the verification bundle of an issued credential: the
// credential, its issuer's and the platform's DID documents, its status
// list, and its place in a signed checkpoint.
func (n *Notary) Bundle(ctx context.Context, c Credential) (*verify.Bundle, error) {
	if c.State == Draft || c.IssueLeaf < 0 {
		return nil, fmt.Errorf("credential %s is not issued: %w", c.ID, ErrConflict)
	}
	b := &verify.Bundle{Credential: json.RawMessage(c.Document)}
	pd, err := n.PlatformDocument(ctx)
	if err != nil {
		return nil, err
	}
	platform, err := pd.Marshal()
	if err != nil {
		return nil, err
	}
	if c.IssuerID != PlatformIssuer {
		i, err := n.store.Issuer(ctx, c.IssuerID)
		if err != nil {
			return nil, err
		}
		d, err := n.IssuerDocument(i)
		if err != nil {
			return nil, err
		}
		data, err := d.Marshal()
		if err != nil {
			return nil, err
		}
		b.IssuerDocuments = append(b.IssuerDocuments, data)
	}
	b.IssuerDocuments = append(b.IssuerDocuments, platform)
	if b.StatusListCredential, err = n.StatusListCredential(ctx, c.StatusIndex/StatusListSize+1); err != nil {
		return nil, err
	}
	cp, size, err := n.Checkpoint(ctx, uint64(c.IssueLeaf)+1)
	if err != nil {
		return nil, err
	}
	proof, err := n.log.InclusionProof(ctx, uint64(c.IssueLeaf), size)
	if err != nil {
		return nil, err
	}
	b.Log = &verify.LogProof{Index: uint64(c.IssueLeaf), InclusionProof: verify.EncodeHashes(proof), Checkpoint: string(cp), LogKey: n.LogKey()}
	return b, nil
}

// Resolver returns the DID documents this instance serves, for verifying
// what it holds: the platform's and every issuer's named.
func (n *Notary) Resolver(ctx context.Context, issuerIDs ...string) (*did.Resolver, error) {
	pd, err := n.PlatformDocument(ctx)
	if err != nil {
		return nil, err
	}
	r := did.NewResolver(pd)
	for _, id := range issuerIDs {
		i, err := n.store.Issuer(ctx, id)
		if err != nil {
			return nil, err
		}
		d, err := n.IssuerDocument(i)
		if err != nil {
			return nil, err
		}
		r.Add(d)
	}
	return r, nil
}

// VerifyBundle verifies a bundle against this instance's own documents:
// its DID documents, log key and latest checkpoint take precedence over
// what the bundle carries, as an independent verifier's would. An error
// means the instance could not read its own documents, not that the
// bundle failed.
func (n *Notary) VerifyBundle(ctx context.Context, b *verify.Bundle) (*verify.Report, error) {
	opts := verify.Options{Now: n.now(), LogKey: n.LogKey()}
	pd, err := n.PlatformDocument(ctx)
	if err != nil {
		return nil, err
	}
	opts.Issuers = append(opts.Issuers, pd)
	if c, err := credential.Parse(b.Credential); err == nil {
		// The instance knows the status as of now: a bundle downloaded
		// before a revocation carries a list that does not show it.
		if st := c.CredentialStatus; st != nil {
			if rest, ok := strings.CutPrefix(st.StatusListCredential, n.baseURL+StatusListPath); ok {
				if list, err := strconv.Atoi(rest); err == nil {
					if fresh, err := n.StatusListCredential(ctx, list); err == nil {
						b.StatusListCredential = fresh
					}
				}
			}
		}
		if siret, ok := strings.CutPrefix(c.Issuer, "did:web:"+strings.ReplaceAll(n.host, ":", "%3A")+":issuers:"); ok {
			if i, err := n.store.Issuer(ctx, siret); err == nil {
				if d, err := n.IssuerDocument(i); err == nil {
					opts.Issuers = append(opts.Issuers, d)
				}
			}
		}
	}
	return verify.Verify(b, opts), nil
}
