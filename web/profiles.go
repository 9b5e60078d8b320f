package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/verify"
)

// The career profile pages: the learner's profile (its lines, the form to
// declare one, share links, export), the shared profile and printable CV a
// link opens, and the verification page where anyone checks a credential
// file. Every page works without JavaScript.
func init() {
	pageNames = append(pageNames, "profil.html", "profil-partage.html", "cv.html", "verifier.html", "lien-cree.html")
}

func (p *Pages) registerProfiles(g gin.IRouter) {
	g.GET("/mon-profil", p.handle(p.myProfile))
	g.GET("/mon-profil/cv", p.handle(p.myCV))
	g.GET("/mon-profil/export", p.exportProfile)
	g.GET("/mon-profil/attestations/:credential_id", p.myCredential)
	g.POST("/mon-profil/lignes", p.profileAct(p.addLine))
	g.POST("/mon-profil/lignes/:id/suppression", p.profileAct(p.deleteLine))
	g.POST("/mon-profil/lignes-declarees/suppression", p.profileAct(p.deleteDeclared))
	g.POST("/mon-profil/partages", p.handle(p.createShare))
	g.POST("/mon-profil/partages/:id/suppression", p.profileAct(p.deleteShare))
	g.GET("/profil/partage/:secret", p.handle(p.sharedProfile))
	g.GET("/profil/partage/:secret/cv", p.handle(p.sharedCV))
	g.GET("/profil/partage/:secret/attestations/:credential_id", p.sharedCredential)
	g.GET("/verifier", p.handle(p.verifyForm))
	g.POST("/verifier", p.handle(p.verifyFile))
}

// profileAct is act for the profile's forms, with their own error words.
func (p *Pages) profileAct(h func(c *gin.Context) (string, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		next, err := h(c)
		if err != nil {
			p.fail(c, profilePageError(err))
			return
		}
		c.Redirect(http.StatusSeeOther, next)
	}
}

// profilePageError says in French why a profile action was refused.
func profilePageError(err error) error {
	var ve *marketplace.ValidationError
	switch {
	case errors.As(err, &ve):
		var parts []string
		for _, f := range ve.Fields {
			parts = append(parts, lineFieldLabel(f.Field)+" : "+f.Reason)
		}
		return badRequest("La demande n’a pas pu être traitée (" + strings.Join(parts, " ; ") + ").")
	case errors.Is(err, profiles.ErrExpired):
		return &pageError{http.StatusGone, "Ce lien de partage a expiré. Demandez un nouveau lien à la personne qui vous l’a donné."}
	case errors.Is(err, marketplace.ErrConflict):
		return &pageError{http.StatusConflict, "Une ligne attestée ne peut être modifiée ou supprimée que par celui qui l’a attestée."}
	case errors.Is(err, marketplace.ErrNotFound):
		return notFound("Cette page n’existe pas, ou plus.")
	}
	return err
}

// lineFieldLabel names a line's field in French for error messages.
func lineFieldLabel(f string) string {
	labels := map[string]string{"kind": "type", "title": "intitulé", "organisation": "organisme ou employeur", "start": "début", "end": "fin",
		"description": "description", "expires_at": "expiration", "entry_ids": "lignes à partager", "label": "nom du lien", "level": "niveau"}
	if l, ok := labels[f]; ok {
		return l
	}
	if strings.HasPrefix(f, "entry_ids") {
		return "lignes à partager"
	}
	return f
}

// profileLearner returns the signed-in learner's account.
func profileLearner(c *gin.Context) (string, error) {
	v := viewerOf(c)
	if v == nil || v.principal.Role != auth.Learner {
		return "", &pageError{http.StatusUnauthorized, "Connectez-vous en tant qu’apprenant pour voir votre profil."}
	}
	return v.principal.Subject, nil
}

// kindLabels are the kinds' French names, and the section titles.
var kindLabels = map[profiles.Kind][2]string{
	profiles.Employment:    {"Emploi", "Expériences professionnelles"},
	profiles.Training:      {"Formation", "Formations"},
	profiles.Certification: {"Certification", "Certifications"},
	profiles.SkillLine:     {"Compétence", "Compétences"},
}

var kindOrder = []profiles.Kind{profiles.Employment, profiles.Training, profiles.Certification, profiles.SkillLine}

// lineView is one line as the pages show it.
type lineView struct {
	ID, Kind, Title, Organisation, Period, Description string
	Attested, Revoked                                  bool
	Issuer                                             string // who attested, in words
	Skills                                             []string
	Level                                              int
	CredentialURL                                      string // the verification bundle's download address
}

type sectionView struct {
	ID, Title string
	Lines     []lineView
}

func period(e profiles.Entry) string {
	switch {
	case e.Start.IsZero() && e.End.IsZero():
		return ""
	case e.Start.IsZero():
		return "jusqu’au " + frenchDate(e.End)
	case e.End.IsZero():
		return "depuis le " + frenchDate(e.Start)
	}
	return "du " + frenchDate(e.Start) + " au " + frenchDate(e.End)
}

// sections groups lines by kind, in display order; credentialURL makes a
// line's download address.
func (p *Pages) sections(c *gin.Context, es []profiles.Entry, credentialURL func(id string) string) []sectionView {
	byKind := map[profiles.Kind][]lineView{}
	for _, e := range es {
		l := lineView{ID: e.ID, Kind: kindLabels[e.Kind][0], Title: e.Title, Organisation: e.Organisation, Period: period(e),
			Description: e.Description, Attested: e.Evidence == profiles.Attested, Revoked: e.Revoked, Level: e.Level}
		if l.Attested {
			l.Issuer = p.issuerName(c, e)
			if e.CredentialID != "" && credentialURL != nil {
				l.CredentialURL = credentialURL(e.CredentialID)
			}
		}
		for _, id := range e.Skills {
			label := id
			if p.Graph != nil {
				if s, err := p.Graph.Skill(c, id); err == nil {
					label = s.Label
				}
			}
			l.Skills = append(l.Skills, label)
		}
		sort.Strings(l.Skills)
		byKind[e.Kind] = append(byKind[e.Kind], l)
	}
	var out []sectionView
	for _, k := range kindOrder {
		if ls := byKind[k]; len(ls) > 0 {
			out = append(out, sectionView{ID: "section-" + string(k), Title: kindLabels[k][1], Lines: ls})
		}
	}
	return out
}

// issuerName says who attested a line.
func (p *Pages) issuerName(c *gin.Context, e profiles.Entry) string {
	if e.IssuerID == profiles.PlatformIssuer {
		return "la plateforme Parcours (formation suivie et évaluée)"
	}
	if i, err := p.Profiles.Issuer(c, e.IssuerID); err == nil {
		return i.Name
	}
	return e.Organisation
}

type profileView struct {
	Sections  []sectionView
	Lines     []lineView // every line, for the share form
	Shares    []shareView
	Declared  int
	Kinds     []kindChoice
	MinExpiry string // the earliest expiry a link may have (tomorrow)
	Expiry    string // the default expiry (in 30 days)
	MaxExpiry string
	Message   string
}

type kindChoice struct{ Value, Label string }

type shareView struct {
	ID, Label, Expires string
	Lines              int
	Expired            bool
}

func (p *Pages) myProfile(c *gin.Context) (response, error) {
	who, err := profileLearner(c)
	if err != nil {
		return response{}, err
	}
	es, err := p.Profiles.Profile(c, who)
	if err != nil {
		return response{}, err
	}
	v := profileView{Sections: p.sections(c, es, func(id string) string { return "/mon-profil/attestations/" + url.PathEscape(id) })}
	for _, s := range v.Sections {
		v.Lines = append(v.Lines, s.Lines...)
	}
	for _, e := range es {
		if e.Evidence == profiles.Declared {
			v.Declared++
		}
	}
	for _, k := range kindOrder {
		v.Kinds = append(v.Kinds, kindChoice{string(k), kindLabels[k][0]})
	}
	now := p.now()
	v.MinExpiry = now.AddDate(0, 0, 1).Format(time.DateOnly)
	v.Expiry = now.AddDate(0, 0, 30).Format(time.DateOnly)
	v.MaxExpiry = now.AddDate(0, 0, profiles.MaxShareDays).Format(time.DateOnly)
	shares, err := p.Profiles.Shares(c, who)
	if err != nil {
		return response{}, err
	}
	for i := len(shares) - 1; i >= 0; i-- {
		sh := shares[i]
		v.Shares = append(v.Shares, shareView{ID: sh.ID, Label: sh.Label, Expires: frenchDate(sh.Expires), Lines: len(sh.EntryIDs), Expired: sh.Expired(now)})
	}
	switch c.Query("fait") {
	case "ajout":
		v.Message = "La ligne a été ajoutée à votre profil, comme déclarée."
	case "suppression":
		v.Message = "La ligne a été supprimée."
	case "declarees":
		v.Message = "Vos lignes déclarées ont été supprimées. Les lignes attestées restent."
	case "lien":
		v.Message = "Le lien de partage a été supprimé : il ne s’ouvre plus."
	}
	c.Header("Cache-Control", "no-store")
	return response{page: "profil.html", title: "Mon profil", nav: "profil", data: v}, nil
}

func (p *Pages) addLine(c *gin.Context) (string, error) {
	who, err := profileLearner(c)
	if err != nil {
		return "", err
	}
	e := profiles.Entry{Kind: profiles.Kind(c.PostForm("type")), Title: c.PostForm("intitule"), Organisation: c.PostForm("organisme"),
		Description: c.PostForm("description")}
	var v marketplace.ValidationError
	if e.Start, err = formDate(c.PostForm("debut")); err != nil {
		v.Add("start", "doit être une date")
	}
	if e.End, err = formDate(c.PostForm("fin")); err != nil {
		v.Add("end", "doit être une date")
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if e.Kind == profiles.SkillLine {
		e.Level = 2
	}
	if _, err := p.Profiles.AddDeclared(c, who, e); err != nil {
		return "", err
	}
	return "/mon-profil?fait=ajout", nil
}

func formDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

func (p *Pages) deleteLine(c *gin.Context) (string, error) {
	who, err := profileLearner(c)
	if err != nil {
		return "", err
	}
	if err := p.Profiles.DeleteDeclared(c, who, c.Param("id")); err != nil {
		return "", err
	}
	return "/mon-profil?fait=suppression", nil
}

func (p *Pages) deleteDeclared(c *gin.Context) (string, error) {
	who, err := profileLearner(c)
	if err != nil {
		return "", err
	}
	if _, err := p.Profiles.DeleteAllDeclared(c, who); err != nil {
		return "", err
	}
	return "/mon-profil?fait=declarees", nil
}

type linkView struct {
	URL, Expires, Label string
	Lines               int
}

// createShare makes a link and shows it once, on the page answering the
// form: only its hash is kept, so it cannot be shown again.
func (p *Pages) createShare(c *gin.Context) (response, error) {
	who, err := profileLearner(c)
	if err != nil {
		return response{}, err
	}
	day, err := formDate(c.PostForm("expiration"))
	if err != nil || day.IsZero() {
		return response{}, badRequest("Choisissez la date jusqu’à laquelle le lien s’ouvrira.")
	}
	// The link opens until the end of the chosen day, Paris time.
	paris, _ := time.LoadLocation("Europe/Paris")
	if paris == nil {
		paris = time.UTC
	}
	expires := time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, paris)
	secret, sh, err := p.Profiles.CreateShare(c, who, c.PostFormArray("ligne"), expires, c.PostForm("nom"))
	if err != nil {
		return response{}, profilePageError(err)
	}
	c.Header("Cache-Control", "no-store")
	return response{status: http.StatusCreated, page: "lien-cree.html", title: "Lien de partage créé", nav: "profil",
		data: linkView{URL: p.absolute(c, "/profil/partage/"+secret), Expires: frenchDate(expires), Label: sh.Label, Lines: len(sh.EntryIDs)}}, nil
}

// absolute makes an address of this site absolute, for links given out.
func (p *Pages) absolute(c *gin.Context, path string) string {
	if p.PublicURL != "" {
		return strings.TrimRight(p.PublicURL, "/") + path
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + path
}

func (p *Pages) deleteShare(c *gin.Context) (string, error) {
	who, err := profileLearner(c)
	if err != nil {
		return "", err
	}
	if err := p.Profiles.DeleteShare(c, who, c.Param("id")); err != nil {
		return "", err
	}
	return "/mon-profil?fait=lien", nil
}

type sharedView struct {
	Sections []sectionView
	Expires  string
	CVURL    string
	Back     string
	Printed  string
	Own      bool // the learner's own CV
}

func (p *Pages) sharedProfile(c *gin.Context) (response, error) {
	secret := c.Param("secret")
	sh, es, err := p.Profiles.Shared(c, secret)
	if err != nil {
		return response{}, profilePageError(err)
	}
	base := "/profil/partage/" + url.PathEscape(secret)
	v := sharedView{Sections: p.sections(c, es, func(id string) string { return base + "/attestations/" + url.PathEscape(id) }),
		Expires: frenchDate(sh.Expires), CVURL: base + "/cv"}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	return response{page: "profil-partage.html", title: "Profil partagé", data: v}, nil
}

func (p *Pages) sharedCV(c *gin.Context) (response, error) {
	secret := c.Param("secret")
	sh, es, err := p.Profiles.Shared(c, secret)
	if err != nil {
		return response{}, profilePageError(err)
	}
	v := sharedView{Sections: p.sections(c, es, nil), Expires: frenchDate(sh.Expires), Back: "/profil/partage/" + url.PathEscape(secret), Printed: frenchDate(p.now())}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	return response{page: "cv.html", title: "CV", data: v}, nil
}

func (p *Pages) myCV(c *gin.Context) (response, error) {
	who, err := profileLearner(c)
	if err != nil {
		return response{}, err
	}
	es, err := p.Profiles.Profile(c, who)
	if err != nil {
		return response{}, err
	}
	v := sharedView{Sections: p.sections(c, es, nil), Back: "/mon-profil", Printed: frenchDate(p.now()), Own: true}
	c.Header("Cache-Control", "no-store")
	return response{page: "cv.html", title: "Mon CV", nav: "profil", data: v}, nil
}

// sendBundle answers with a credential's verification bundle as a file.
func (p *Pages) sendBundle(c *gin.Context, cr profiles.Credential) {
	data, err := p.Profiles.Bundle(c, cr)
	if err != nil {
		p.fail(c, err)
		return
	}
	name := "attestation-" + strings.TrimPrefix(cr.ID, "urn:uuid:") + ".json"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json", data)
}

func (p *Pages) myCredential(c *gin.Context) {
	who, err := profileLearner(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	cr, err := p.Profiles.PersonCredential(c, who, c.Param("credential_id"))
	if err != nil {
		p.fail(c, profilePageError(err))
		return
	}
	p.sendBundle(c, cr)
}

func (p *Pages) sharedCredential(c *gin.Context) {
	cr, err := p.Profiles.SharedCredential(c, c.Param("secret"), c.Param("credential_id"))
	if err != nil {
		p.fail(c, profilePageError(err))
		return
	}
	p.sendBundle(c, cr)
}

// exportProfile sends everything kept about the learner's profile, as the
// API's export does.
func (p *Pages) exportProfile(c *gin.Context) {
	who, err := profileLearner(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	x, err := p.Profiles.Export(c, who)
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="parcours-profil.json"`)
	c.Header("Cache-Control", "no-store")
	// The same file as the API's export.
	c.IndentedJSON(http.StatusOK, api.ProfileExport(x))
}

// verifyView is the verification page: the form, and the report of the
// file sent.
type verifyView struct {
	Done     bool
	OK       bool
	FileName string
	Error    string
	Issuer   string
	Checks   []checkView
	Warnings []string
}

type checkView struct {
	Label, Status, StatusLabel, Reason string
	Pass                               bool
}

// checkLabels name the report's checks in French.
var checkLabels = map[string]string{
	verify.CheckFormat:       "Format de l’attestation",
	verify.CheckIssuerKey:    "Clé de l’émetteur",
	verify.CheckProof:        "Signature",
	verify.CheckValidity:     "Période de validité",
	verify.CheckStatusList:   "Liste de révocation",
	verify.CheckNotRevoked:   "Non révoquée",
	verify.CheckCheckpoint:   "Signature du journal",
	verify.CheckLogInclusion: "Inscription au journal de transparence",
}

var checkStatusLabels = map[string]string{verify.Pass: "Réussi", verify.Fail: "Échec", verify.Skipped: "Non vérifié"}

// issuerLabel names an issuer identifier this instance serves by its
// registered name.
func (p *Pages) issuerLabel(c *gin.Context, did string) string {
	n := p.Profiles.Notary()
	if did == n.PlatformDID() {
		return "la plateforme Parcours (" + did + ")"
	}
	if i := strings.LastIndex(did, ":issuers:"); i >= 0 && strings.HasPrefix(did, n.PlatformDID()+":") {
		if is, err := p.Profiles.Issuer(c, did[i+len(":issuers:"):]); err == nil {
			return is.Name + ", SIRET " + is.SIRET + " (" + did + ")"
		}
	}
	return did
}

func (p *Pages) verifyForm(c *gin.Context) (response, error) {
	return response{page: "verifier.html", title: "Vérifier une attestation", nav: "verifier", data: verifyView{}}, nil
}

// maxVerifyFile bounds the file sent to the verification page.
const maxVerifyFile = 1 << 20

func (p *Pages) verifyFile(c *gin.Context) (response, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxVerifyFile+64<<10)
	v := verifyView{Done: true}
	fh, err := c.FormFile("fichier")
	if err != nil {
		v.Error = "Choisissez le fichier de l’attestation (.json) à vérifier."
		return response{status: http.StatusBadRequest, page: "verifier.html", title: "Vérifier une attestation", nav: "verifier", data: v}, nil
	}
	v.FileName = fh.Filename
	f, err := fh.Open()
	if err != nil {
		return response{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVerifyFile+1))
	if err != nil {
		return response{}, err
	}
	if len(data) > maxVerifyFile {
		v.Error = "Ce fichier est trop gros pour être une attestation (1 Mo au plus)."
		return response{status: http.StatusBadRequest, page: "verifier.html", title: "Vérifier une attestation", nav: "verifier", data: v}, nil
	}
	b, err := verify.ParseBundle(data)
	if err != nil {
		v.Error = "Ce fichier n’est pas une attestation Parcours : " + err.Error()
		return response{status: http.StatusBadRequest, page: "verifier.html", title: "Vérifier une attestation", nav: "verifier", data: v}, nil
	}
	rep, err := p.Profiles.Notary().VerifyBundle(c, b)
	if err != nil {
		return response{}, err
	}
	v.OK, v.Issuer, v.Warnings = rep.OK, p.issuerLabel(c, rep.Issuer), rep.Warnings
	for _, ch := range rep.Checks {
		v.Checks = append(v.Checks, checkView{Label: checkLabels[ch.Name], Status: ch.Status, StatusLabel: checkStatusLabels[ch.Status], Reason: ch.Reason, Pass: ch.Status == verify.Pass})
	}
	return response{page: "verifier.html", title: "Vérifier une attestation", nav: "verifier", data: v}, nil
}
