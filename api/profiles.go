package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/verify"
)

// profileRoutes adds the career profile endpoints: the learner's own
// profile, share links, issuers and their attestations, the transparency
// log, verification. The did:web documents are served outside /api/v1,
// where did:web resolution looks for them.
func (s *Server) profileRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	v1.GET("/me/profile", s.handler(s.myProfile))
	v1.POST("/me/profile/entries", s.handler(s.addProfileEntry))
	v1.PUT("/me/profile/entries/:id", s.handler(s.updateProfileEntry))
	v1.DELETE("/me/profile/entries/:id", s.handler(s.deleteProfileEntry))
	v1.DELETE("/me/profile/declared", s.handler(s.deleteDeclared))
	v1.GET("/me/profile/export", s.handler(s.exportProfile))
	v1.GET("/me/credentials/:credential_id", s.handler(s.myCredential))
	v1.GET("/me/shares", s.handler(s.myShares))
	v1.POST("/me/shares", s.handler(s.createShare))
	v1.DELETE("/me/shares/:id", s.handler(s.deleteShare))

	v1.GET("/shared/:secret", s.handler(s.sharedProfile))
	v1.GET("/shared/:secret/credentials/:credential_id", s.handler(s.sharedCredential))
	v1.POST("/verify", s.handler(s.verifyBundle))

	v1.POST("/issuers", s.handler(s.registerIssuer))
	v1.GET("/issuers/:siret", s.handler(s.getIssuer))
	v1.POST("/issuers/:siret/keys", s.handler(s.rotateIssuerKey))
	v1.POST("/issuers/:siret/attestations", s.handler(s.attest))
	v1.POST("/issuers/:siret/attestations/bulk", s.handler(s.attestBulk))
	v1.POST("/issuers/:siret/drafts", s.handler(s.draftAttestation))
	v1.POST("/issuers/:siret/credentials", s.handler(s.submitCredential))
	v1.POST("/issuers/:siret/revocations", s.handler(s.revokeCredential))

	v1.POST("/admin/revocations", s.handler(s.adminRevoke))
	v1.GET("/admin/platform-keys", s.handler(s.platformKeys))
	v1.POST("/admin/platform-keys", s.handler(s.rotatePlatformKey))

	v1.GET("/status-lists/:n", s.handler(s.statusList))
	v1.GET("/transparency-log/checkpoint", s.handler(s.latestCheckpoint))
	v1.GET("/transparency-log/checkpoints/:size", s.handler(s.checkpointAt))
	v1.GET("/transparency-log/inclusion-proof", s.handler(s.inclusionProof))
	v1.GET("/transparency-log/consistency-proof", s.handler(s.consistencyProof))

	docs := r.Group("", s.rateLimit)
	docs.GET("/.well-known/did.json", s.handler(s.platformDID))
	docs.GET("/issuers/:siret/did.json", s.handler(s.issuerDID))
}

// ProfileEntryInput is a line a learner declares.
type ProfileEntryInput struct {
	Kind         string   `json:"kind"`
	Title        string   `json:"title"`
	Organisation string   `json:"organisation,omitempty"`
	SIRET        string   `json:"siret,omitempty"`
	Code         string   `json:"code,omitempty"`
	StartDate    string   `json:"start_date,omitempty"`
	EndDate      string   `json:"end_date,omitempty"`
	Description  string   `json:"description,omitempty"`
	Skills       []string `json:"skills,omitempty"`
	Level        int      `json:"level,omitempty"`
}

func (in ProfileEntryInput) entry() (profiles.Entry, error) {
	start, err := parseDate("start_date", in.StartDate)
	if err != nil {
		return profiles.Entry{}, err
	}
	end, err := parseDate("end_date", in.EndDate)
	if err != nil {
		return profiles.Entry{}, err
	}
	return profiles.Entry{Kind: profiles.Kind(in.Kind), Title: in.Title, Organisation: in.Organisation, SIRET: in.SIRET, Code: in.Code,
		Start: start, End: end, Description: in.Description, Skills: in.Skills, Level: in.Level}, nil
}

// ProfileEntry is a line of a career profile.
type ProfileEntry struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	Evidence     string    `json:"evidence"`
	Title        string    `json:"title"`
	Organisation string    `json:"organisation,omitempty"`
	SIRET        string    `json:"siret,omitempty"`
	Code         string    `json:"code,omitempty"`
	StartDate    string    `json:"start_date,omitempty"`
	EndDate      string    `json:"end_date,omitempty"`
	Description  string    `json:"description,omitempty"`
	Skills       []string  `json:"skills"`
	Level        int       `json:"level,omitempty"`
	CredentialID string    `json:"credential_id,omitempty"`
	Issuer       string    `json:"issuer,omitempty"`
	Revoked      bool      `json:"revoked"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func profileEntryOut(e profiles.Entry) ProfileEntry {
	out := ProfileEntry{ID: e.ID, Kind: string(e.Kind), Evidence: string(e.Evidence), Title: e.Title, Organisation: e.Organisation,
		SIRET: e.SIRET, Code: e.Code, StartDate: formatDate(e.Start), EndDate: formatDate(e.End), Description: e.Description,
		Skills: e.Skills, Level: e.Level, CredentialID: e.CredentialID, Issuer: e.IssuerID, Revoked: e.Revoked,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if out.Skills == nil {
		out.Skills = []string{}
	}
	return out
}

func profileEntriesOut(es []profiles.Entry) []ProfileEntry {
	out := make([]ProfileEntry, len(es))
	for i, e := range es {
		out[i] = profileEntryOut(e)
	}
	return out
}

// ProfileOutput is a learner's profile.
type ProfileOutput struct {
	Entries []ProfileEntry `json:"entries"`
}

// learner returns the calling learner's account ID.
func (s *Server) myProfile(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	es, err := s.Profiles.Profile(c, who)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, ProfileOutput{Entries: profileEntriesOut(es)})
	return nil
}

func (s *Server) addProfileEntry(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	var in ProfileEntryInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := in.entry()
	if err != nil {
		return err
	}
	if e, err = s.Profiles.AddDeclared(c, who, e); err != nil {
		return err
	}
	c.Header("Location", "/api/v1/me/profile/entries/"+e.ID)
	c.JSON(http.StatusCreated, profileEntryOut(e))
	return nil
}

func (s *Server) updateProfileEntry(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ProfileEntryInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := in.entry()
	if err != nil {
		return err
	}
	if e, err = s.Profiles.UpdateDeclared(c, who, id, e); err != nil {
		return err
	}
	c.JSON(http.StatusOK, profileEntryOut(e))
	return nil
}

func (s *Server) deleteProfileEntry(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Profiles.DeleteDeclared(c, who, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// DeletedOutput counts deleted records.
type DeletedOutput struct {
	Deleted int `json:"deleted"`
}

func (s *Server) deleteDeclared(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	n, err := s.Profiles.DeleteAllDeclared(c, who)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, DeletedOutput{Deleted: n})
	return nil
}

// CredentialOutput is a stored credential: the signed document as issued.
type CredentialOutput struct {
	ID          string          `json:"id"`
	Issuer      string          `json:"issuer"`
	EntryID     string          `json:"entry_id"`
	State       string          `json:"state"`
	IssuedAt    time.Time       `json:"issued_at"`
	RevokedAt   *time.Time      `json:"revoked_at,omitempty"`
	LogIndex    int64           `json:"log_index"`
	StatusIndex int             `json:"status_index"`
	Document    json.RawMessage `json:"document"`
}

func credentialOut(c profiles.Credential) CredentialOutput {
	out := CredentialOutput{ID: c.ID, Issuer: c.IssuerID, EntryID: c.EntryID, State: string(c.State), IssuedAt: c.IssuedAt,
		LogIndex: c.IssueLeaf, StatusIndex: c.StatusIndex, Document: json.RawMessage(c.Document)}
	if !c.RevokedAt.IsZero() {
		t := c.RevokedAt
		out.RevokedAt = &t
	}
	return out
}

// ShareLinkOutput is a share link; URL is set only when it is created,
// since only a hash of its secret is kept.
type ShareLinkOutput struct {
	ID        string    `json:"id"`
	URL       string    `json:"url,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	Label     string    `json:"label,omitempty"`
	EntryIDs  []string  `json:"entry_ids"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	Expired   bool      `json:"expired"`
}

func (s *Server) shareOut(sh profiles.Share, secret string) ShareLinkOutput {
	out := ShareLinkOutput{ID: sh.ID, Label: sh.Label, EntryIDs: sh.EntryIDs, ExpiresAt: sh.Expires, CreatedAt: sh.Created, Expired: sh.Expired(time.Now())}
	if secret != "" {
		out.Secret, out.URL = secret, strings.TrimRight(s.PublicURL, "/")+"/profil/partage/"+secret
	}
	return out
}

// ExportOutput is everything the service keeps about a learner's profile.
type ExportOutput struct {
	Account     string             `json:"account"`
	ExportedAt  time.Time          `json:"exported_at"`
	Entries     []ProfileEntry     `json:"entries"`
	Credentials []CredentialOutput `json:"credentials"`
	Shares      []ShareLinkOutput  `json:"shares"`
}

func (s *Server) exportProfile(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	x, err := s.Profiles.Export(c, who)
	if err != nil {
		return err
	}
	out := ProfileExport(x)
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="parcours-profil.json"`)
	c.JSON(http.StatusOK, out)
	return nil
}

// ProfileExport is the JSON file of a worker's data (GET
// /api/v1/me/profile/export, and the profile page's download).
func ProfileExport(x profiles.Export) ExportOutput {
	out := ExportOutput{Account: x.PersonID, ExportedAt: x.ExportedAt, Entries: profileEntriesOut(x.Entries), Credentials: []CredentialOutput{}, Shares: []ShareLinkOutput{}}
	for _, cr := range x.Credentials {
		out.Credentials = append(out.Credentials, credentialOut(cr))
	}
	now := time.Now()
	for _, sh := range x.Shares {
		out.Shares = append(out.Shares, ShareLinkOutput{ID: sh.ID, Label: sh.Label, EntryIDs: sh.EntryIDs, ExpiresAt: sh.Expires, CreatedAt: sh.Created, Expired: sh.Expired(now)})
	}
	return out
}

// credentialParam reads a credential ID ("urn:uuid:...") from the path.
func credentialParam(c *gin.Context) (string, error) {
	id := c.Param("credential_id")
	if !strings.HasPrefix(id, "urn:uuid:") || len(id) > 100 {
		return "", invalid("credential_id", "is not a credential ID (urn:uuid:...)")
	}
	return id, nil
}

// sendBundle writes a credential's verification bundle as a download.
func (s *Server) sendBundle(c *gin.Context, cr profiles.Credential) error {
	data, err := s.Profiles.Bundle(c, cr)
	if err != nil {
		return err
	}
	name := "attestation-" + strings.TrimPrefix(cr.ID, "urn:uuid:") + ".json"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json", data)
	return nil
}

func (s *Server) myCredential(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	id, err := credentialParam(c)
	if err != nil {
		return err
	}
	cr, err := s.Profiles.PersonCredential(c, who, id)
	if err != nil {
		return err
	}
	return s.sendBundle(c, cr)
}

// ShareInput creates a share link.
type ShareInput struct {
	EntryIDs  []string  `json:"entry_ids"`
	ExpiresAt time.Time `json:"expires_at"`
	Label     string    `json:"label,omitempty"`
}

// ShareLinkList lists a learner's share links.
type ShareLinkList struct {
	Items []ShareLinkOutput `json:"items"`
}

func (s *Server) myShares(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	shs, err := s.Profiles.Shares(c, who)
	if err != nil {
		return err
	}
	out := ShareLinkList{Items: []ShareLinkOutput{}}
	for _, sh := range shs {
		out.Items = append(out.Items, s.shareOut(sh, ""))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) createShare(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	var in ShareInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	secret, sh, err := s.Profiles.CreateShare(c, who, in.EntryIDs, in.ExpiresAt, in.Label)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, s.shareOut(sh, secret))
	return nil
}

func (s *Server) deleteShare(c *gin.Context) error {
	who, err := learner(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Profiles.DeleteShare(c, who, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// SharedProfileOutput is what a share link shows.
type SharedProfileOutput struct {
	ExpiresAt time.Time      `json:"expires_at"`
	Entries   []ProfileEntry `json:"entries"`
}

func (s *Server) sharedProfile(c *gin.Context) error {
	sh, es, err := s.Profiles.Shared(c, c.Param("secret"))
	if err != nil {
		return err
	}
	out := SharedProfileOutput{ExpiresAt: sh.Expires, Entries: profileEntriesOut(es)}
	for i := range out.Entries {
		out.Entries[i].SIRET = es[i].SIRET
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) sharedCredential(c *gin.Context) error {
	id, err := credentialParam(c)
	if err != nil {
		return err
	}
	cr, err := s.Profiles.SharedCredential(c, c.Param("secret"), id)
	if err != nil {
		return err
	}
	return s.sendBundle(c, cr)
}

// verifyBundle checks a verification bundle (or a bare signed credential)
// posted as the body, against this instance's own documents and log key.
func (s *Server) verifyBundle(c *gin.Context) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: send Content-Type: application/json", errUnsupportedType)
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return decodeError(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return invalid("body", "is required: a verification bundle or a signed credential")
	}
	b, err := verify.ParseBundle(data)
	if err != nil {
		return invalid("body", "%s", err.Error())
	}
	rep, err := s.Profiles.Notary().VerifyBundle(c, b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, rep)
	return nil
}

// IssuerInput registers an issuer.
type IssuerInput struct {
	SIRET     string `json:"siret"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Custody   string `json:"custody"`
	PublicKey string `json:"public_key,omitempty"`
}

// IssuerKeyOutput is one of an issuer's keys.
type IssuerKeyOutput struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// IssuerOutput is a registered issuer.
type IssuerOutput struct {
	SIRET     string            `json:"siret"`
	Kind      string            `json:"kind"`
	Name      string            `json:"name"`
	Custody   string            `json:"custody"`
	DID       string            `json:"did"`
	Keys      []IssuerKeyOutput `json:"keys"`
	CreatedAt time.Time         `json:"created_at"`
}

func (s *Server) issuerOut(i profiles.Issuer) IssuerOutput {
	d, _ := s.Profiles.Notary().IssuerDID(i.SIRET)
	out := IssuerOutput{SIRET: i.SIRET, Kind: string(i.Kind), Name: i.Name, Custody: string(i.Custody), DID: d, CreatedAt: i.CreatedAt, Keys: []IssuerKeyOutput{}}
	for _, k := range i.Keys {
		ko := IssuerKeyOutput{ID: d + "#" + k.ID, CreatedAt: k.Created}
		if !k.Retired.IsZero() {
			t := k.Retired
			ko.RetiredAt = &t
		}
		out.Keys = append(out.Keys, ko)
	}
	return out
}

// actsFor checks that the caller may act as the issuer with siret: an
// administrator, the employer whose token subject is that SIRET, or the
// provider registered under it.
func (s *Server) actsFor(c *gin.Context, siret string) error {
	p, err := requireRole(c, auth.Admin, auth.Employer, auth.Provider)
	if err != nil {
		return err
	}
	switch p.Role {
	case auth.Admin:
		return nil
	case auth.Employer:
		if p.Subject == siret {
			return nil
		}
	case auth.Provider:
		if pr, err := s.Catalogue.Store().Provider(c, p.Subject); err == nil && pr.SIRET == siret {
			return nil
		}
	}
	return fmt.Errorf("you may act only for your own SIRET: %w", marketplace.ErrForbidden)
}

// issuerParam authenticates the caller, reads the path's SIRET and checks
// the caller may act for it, in that order: an anonymous call is a 401
// whatever its path.
func (s *Server) issuerParam(c *gin.Context) (string, error) {
	if _, err := requireRole(c, auth.Admin, auth.Employer, auth.Provider); err != nil {
		return "", err
	}
	siret, err := siretParam(c)
	if err != nil {
		return "", err
	}
	return siret, s.actsFor(c, siret)
}

func siretParam(c *gin.Context) (string, error) {
	siret := c.Param("siret")
	if !marketplace.ValidSIRET(siret) {
		return "", invalid("siret", "must be a valid SIRET: 14 digits with a valid Luhn key")
	}
	return siret, nil
}

func (s *Server) registerIssuer(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin, auth.Employer, auth.Provider); err != nil {
		return err
	}
	var in IssuerInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.actsFor(c, in.SIRET); err != nil {
		return err
	}
	i, err := s.Profiles.RegisterIssuer(c, profiles.Registration{SIRET: in.SIRET, Kind: profiles.IssuerKind(in.Kind), Name: in.Name,
		Custody: profiles.Custody(in.Custody), PublicKey: in.PublicKey})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/issuers/"+i.SIRET)
	c.JSON(http.StatusCreated, s.issuerOut(i))
	return nil
}

func (s *Server) getIssuer(c *gin.Context) error {
	siret, err := siretParam(c)
	if err != nil {
		return err
	}
	i, err := s.Profiles.Issuer(c, siret)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.issuerOut(i))
	return nil
}

// KeyInput rotates an issuer's key; PublicKey is the new key of an issuer
// signing itself, and must be empty for platform-held keys.
type KeyInput struct {
	PublicKey string `json:"public_key,omitempty"`
}

func (s *Server) rotateIssuerKey(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in KeyInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	i, err := s.Profiles.RotateKey(c, siret, in.PublicKey)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.issuerOut(i))
	return nil
}

// AttestationInput is what an issuer attests about a worker, named by NIR.
type AttestationInput struct {
	NIR   string            `json:"nir"`
	Entry ProfileEntryInput `json:"entry"`
}

func (in AttestationInput) attestation() (profiles.Attestation, error) {
	e, err := in.Entry.entry()
	if err != nil {
		var v *marketplace.ValidationError
		if errors.As(err, &v) {
			for i := range v.Fields {
				v.Fields[i].Field = "entry." + v.Fields[i].Field
			}
		}
		return profiles.Attestation{}, err
	}
	return profiles.Attestation{NIR: in.NIR, Entry: e}, nil
}

// prefixEntry names the fields of a line's validation error as the
// request's entry.* fields.
func prefixEntry(err error) error {
	var v *marketplace.ValidationError
	if errors.As(err, &v) {
		for i, f := range v.Fields {
			if f.Field != "nir" && !strings.HasPrefix(f.Field, "entry.") {
				v.Fields[i].Field = "entry." + f.Field
			}
		}
	}
	return err
}

// AttestationOutput is an issued attestation and the line it adds.
type AttestationOutput struct {
	Entry      ProfileEntry     `json:"entry"`
	Credential CredentialOutput `json:"credential"`
}

func (s *Server) attest(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in AttestationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, err := in.attestation()
	if err != nil {
		return err
	}
	e, cr, err := s.Profiles.Attest(c, siret, a)
	if err != nil {
		return prefixEntry(err)
	}
	c.JSON(http.StatusCreated, AttestationOutput{Entry: profileEntryOut(e), Credential: credentialOut(cr)})
	return nil
}

// BulkInput carries a CSV file of employment periods.
type BulkInput struct {
	CSV string `json:"csv"`
}

// BulkLine is the outcome of one line of a bulk file.
type BulkLine struct {
	Line         int    `json:"line"`
	Status       string `json:"status"` // issued or refused
	CredentialID string `json:"credential_id,omitempty"`
	EntryID      string `json:"entry_id,omitempty"`
	Field        string `json:"field,omitempty"`
	Code         string `json:"code,omitempty"`
	Error        string `json:"error,omitempty"`
}

// BulkOutput is the report of a bulk file.
type BulkOutput struct {
	Issued  int        `json:"issued"`
	Refused int        `json:"refused"`
	Lines   []BulkLine `json:"lines"`
}

func (s *Server) attestBulk(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in BulkInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rep, err := s.Profiles.AttestBulk(c, siret, strings.NewReader(in.CSV))
	if err != nil {
		return err
	}
	out := BulkOutput{Issued: rep.Issued, Refused: rep.Refused, Lines: []BulkLine{}}
	for _, l := range rep.Lines {
		bl := BulkLine{Line: l.Line, Status: "issued", CredentialID: l.CredentialID, EntryID: l.EntryID, Field: l.Field, Code: l.Code, Error: l.Error}
		if l.Error != "" {
			bl.Status = "refused"
		}
		out.Lines = append(out.Lines, bl)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) draftAttestation(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in AttestationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, err := in.attestation()
	if err != nil {
		return err
	}
	doc, err := s.Profiles.Draft(c, siret, a)
	if err != nil {
		return prefixEntry(err)
	}
	c.Data(http.StatusCreated, "application/json", doc)
	return nil
}

// SignedCredentialInput carries a credential an issuer signed itself.
type SignedCredentialInput struct {
	Credential json.RawMessage `json:"credential"`
}

func (s *Server) submitCredential(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in SignedCredentialInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.Credential) == 0 {
		return invalid("credential", "is required: the signed draft")
	}
	e, cr, err := s.Profiles.Submit(c, siret, in.Credential)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, AttestationOutput{Entry: profileEntryOut(e), Credential: credentialOut(cr)})
	return nil
}

// RevocationInput revokes a credential.
type RevocationInput struct {
	CredentialID string `json:"credential_id"`
	Reason       string `json:"reason"`
}

func (s *Server) revokeCredential(c *gin.Context) error {
	siret, err := s.issuerParam(c)
	if err != nil {
		return err
	}
	var in RevocationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cr, err := s.Profiles.Revoke(c, siret, in.CredentialID, in.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, credentialOut(cr))
	return nil
}

// adminRevoke lets an administrator revoke any credential, the platform's
// training attestations included (a dossier found fraudulent, say).
func (s *Server) adminRevoke(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	var in RevocationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cr, err := s.Profiles.Store().Credential(c, in.CredentialID)
	if errors.Is(err, marketplace.ErrNotFound) {
		return invalid("credential_id", "names no credential")
	}
	if err != nil {
		return err
	}
	if cr, err = s.Profiles.Revoke(c, cr.IssuerID, in.CredentialID, in.Reason); err != nil {
		return err
	}
	c.JSON(http.StatusOK, credentialOut(cr))
	return nil
}

func (s *Server) statusList(c *gin.Context) error {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		return invalid("n", "must be a status list number from 1")
	}
	doc, err := s.Profiles.Notary().StatusListCredential(c, n)
	if err != nil {
		return err
	}
	// Verifiers may cache the list for a few minutes: revocations show
	// within that delay.
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", doc)
	return nil
}

// CheckpointOutput is a signed checkpoint of the transparency log.
type CheckpointOutput struct {
	Size       uint64 `json:"size"`
	RootHash   string `json:"root_hash"`
	Checkpoint string `json:"checkpoint"`
	LogKey     string `json:"log_key"`
}

func (s *Server) checkpointOut(note []byte) (CheckpointOutput, error) {
	v, err := tlog.NewVerifier(s.Profiles.Notary().LogKey())
	if err != nil {
		return CheckpointOutput{}, err
	}
	cp, err := v.Open(note)
	if err != nil {
		return CheckpointOutput{}, err
	}
	return CheckpointOutput{Size: cp.Size, RootHash: verify.EncodeHashes([]tlog.Hash{cp.Root})[0], Checkpoint: string(note), LogKey: s.Profiles.Notary().LogKey()}, nil
}

func (s *Server) latestCheckpoint(c *gin.Context) error {
	note, _, err := s.Profiles.Notary().Checkpoint(c, 0)
	if err != nil {
		return err
	}
	return s.sendCheckpoint(c, note)
}

// sendCheckpoint answers with a checkpoint: the signed note itself for a
// client asking for text/plain (the file `parcours verify --checkpoint`
// reads), JSON otherwise.
func (s *Server) sendCheckpoint(c *gin.Context, note []byte) error {
	if strings.Contains(c.GetHeader("Accept"), "text/plain") {
		c.Data(http.StatusOK, "text/plain; charset=utf-8", note)
		return nil
	}
	out, err := s.checkpointOut(note)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) checkpointAt(c *gin.Context) error {
	size, err := strconv.ParseUint(c.Param("size"), 10, 64)
	if err != nil {
		return invalid("size", "must be a tree size")
	}
	note, err := s.Profiles.Notary().CheckpointAt(c, size)
	if err != nil {
		return err
	}
	return s.sendCheckpoint(c, note)
}

// ProofOutput is an inclusion or consistency proof of the log.
type ProofOutput struct {
	Index    *uint64  `json:"index,omitempty"`
	Size     uint64   `json:"size,omitempty"`
	FromSize uint64   `json:"from_size,omitempty"`
	ToSize   uint64   `json:"to_size,omitempty"`
	LeafHash string   `json:"leaf_hash,omitempty"`
	Proof    []string `json:"proof"`
}

func queryUint(c *gin.Context, name string) (uint64, error) {
	n, err := strconv.ParseUint(c.Query(name), 10, 64)
	if err != nil {
		return 0, invalid(name, "must be a non-negative integer")
	}
	return n, nil
}

// logSizes checks sizes against the log's current size.
func (s *Server) logSizes(c *gin.Context, field string, size uint64) error {
	cur, err := s.Profiles.Notary().Log().Size(c)
	if err != nil {
		return err
	}
	if size > cur {
		return invalid(field, "must be at most the log's size, %d", cur)
	}
	return nil
}

func (s *Server) inclusionProof(c *gin.Context) error {
	index, err := queryUint(c, "index")
	if err != nil {
		return err
	}
	size, err := queryUint(c, "size")
	if err != nil {
		return err
	}
	if index >= size {
		return invalid("index", "must be below size")
	}
	if err := s.logSizes(c, "size", size); err != nil {
		return err
	}
	log := s.Profiles.Notary().Log()
	p, err := log.InclusionProof(c, index, size)
	if err != nil {
		return err
	}
	leaf, err := log.LeafHashAt(c, index)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ProofOutput{Index: &index, Size: size, LeafHash: verify.EncodeHashes([]tlog.Hash{leaf})[0], Proof: verify.EncodeHashes(p)})
	return nil
}

func (s *Server) consistencyProof(c *gin.Context) error {
	from, err := queryUint(c, "from_size")
	if err != nil {
		return err
	}
	to, err := queryUint(c, "to_size")
	if err != nil {
		return err
	}
	if from < 1 || from > to {
		return invalid("from_size", "must be from 1 to to_size")
	}
	if err := s.logSizes(c, "to_size", to); err != nil {
		return err
	}
	p, err := s.Profiles.Notary().Log().ConsistencyProof(c, from, to)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ProofOutput{FromSize: from, ToSize: to, Proof: verify.EncodeHashes(p)})
	return nil
}

func (s *Server) platformDID(c *gin.Context) error {
	d, err := s.Profiles.Notary().PlatformDocument(c)
	if err != nil {
		return err
	}
	data, err := d.Marshal()
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/did+json", data)
	return nil
}

func (s *Server) issuerDID(c *gin.Context) error {
	siret, err := siretParam(c)
	if err != nil {
		return err
	}
	i, err := s.Profiles.Issuer(c, siret)
	if err != nil {
		return err
	}
	d, err := s.Profiles.Notary().IssuerDocument(i)
	if err != nil {
		return err
	}
	data, err := d.Marshal()
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/did+json", data)
	return nil
}
