package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
)

// Career profiles: the service is built by openApp (openProfiles), the
// checkpoint job registered here, the demo lines loaded by serve.

func init() {
	registerJobs(func(a *app, log *slog.Logger) ([]jobs.Job, error) {
		if a.profiles == nil {
			return nil, nil
		}
		catchUp := jobs.Job{Name: "attest-completed-trainings", Schedule: "45 3 * * *", Run: func(ctx context.Context) error {
			n, err := a.profiles.CatchUpTrainings(ctx, a.store, dossierSource{a.store, a.enrolment.Store()})
			if n > 0 {
				log.Info("completed trainings attested by the catch-up", "dossiers", n)
			}
			return err
		}}
		return []jobs.Job{catchUp, {Name: "publish-log-checkpoint", Schedule: a.cfg.Profiles.CheckpointSchedule, Run: func(ctx context.Context) error {
			_, size, err := a.profiles.Notary().Publish(ctx)
			if errors.Is(err, marketplace.ErrNotFound) {
				return nil // nothing logged yet
			}
			if err == nil {
				log.Info("transparency log checkpoint published", "size", size)
			}
			return err
		}}}, nil
	})
}

// dossierSource lists providers and their dossiers for the catch-up of
// training attestations.
type dossierSource struct {
	catalogue marketplace.Store
	enrolment marketplace.EnrolmentStore
}

func (d dossierSource) Providers(ctx context.Context, page marketplace.Page) ([]marketplace.Provider, string, error) {
	return d.catalogue.Providers(ctx, page)
}

func (d dossierSource) Dossiers(ctx context.Context, f marketplace.DossierFilter, page marketplace.Page) ([]marketplace.Dossier, string, error) {
	return d.enrolment.Dossiers(ctx, f, page)
}

// publicURL is the instance's public address: server.public_url, or the
// listening address for a local run.
func (a *app) publicURL() string {
	if u := a.cfg.Server.PublicURL; u != "" {
		return strings.TrimRight(u, "/")
	}
	addr := a.cfg.Server.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	return "http://" + addr
}

// profileStores are what career profiles need of a backend.
type profileStores interface {
	profiles.Store
	profiles.Employments
}

// openProfiles builds the career profiles service over the backend in use
// and hooks the training attestation to evaluations.
func (a *app) openProfiles() error {
	var (
		st   profileStores
		logs profiles.LogStore
	)
	switch {
	case a.bolt != nil:
		st, logs = a.bolt, a.bolt.TransparencyLog()
	case a.mongo != nil:
		st, logs = a.mongo, a.mongo.TransparencyLog()
	default:
		return nil
	}
	n, err := profiles.NewNotary(profiles.NotaryConfig{Store: st, Log: logs, BaseURL: a.publicURL(),
		PlatformKey: a.secrets.AttestationKey, LogKey: a.secrets.LogKey, SealKey: a.secrets.IssuerSealKey})
	if err != nil {
		return fmt.Errorf("career profiles: %w", err)
	}
	a.profiles = profiles.NewService(profiles.Config{Store: st, Employments: st, Accounts: profiles.AccountsOf(a.enrolment),
		Graph: a.graph, Notary: n, Log: a.log})
	a.enrolment.OnEvaluated(a.profiles.TrainingHook(a.store))
	return nil
}

// demoEmployer is the demo's employer, registered as an issuer whose key
// the platform holds; the demo learner's employment is declared by it.
var demoEmployer = struct{ siret, name string }{"44306184100047", "Boulangerie Martin (démo)"}

// loadDemoProfiles gives the demo learner a few attested and declared
// lines: an employment period attested by the demo employer, a training
// attested by the platform, and two declared lines. Running it again
// changes nothing.
func (a *app) loadDemoProfiles(ctx context.Context) error {
	if a.profiles == nil {
		return nil
	}
	learner := demoAccounts[0]
	existing, err := a.profiles.Profile(ctx, learner.id)
	if err != nil || len(existing) > 0 {
		return err
	}
	if err := a.enrolment.Store().SaveDeclarations(ctx, []marketplace.Declaration{
		{AccountID: learner.id, Year: 2023, EmployerSIRET: demoEmployer.siret, HoursWorked: 1607, FullTimeHours: 1607},
		{AccountID: learner.id, Year: 2024, EmployerSIRET: demoEmployer.siret, HoursWorked: 1607, FullTimeHours: 1607},
	}); err != nil {
		return err
	}
	_, err = a.profiles.RegisterIssuer(ctx, profiles.Registration{SIRET: demoEmployer.siret, Kind: profiles.EmployerIssuer,
		Name: demoEmployer.name, Custody: profiles.PlatformKey})
	if err != nil && !errors.Is(err, marketplace.ErrConflict) {
		return err
	}
	skillsOf := func(label string) []string {
		ss, _ := a.graph.SkillsByLabel(ctx, label)
		if len(ss) == 0 {
			return nil
		}
		return []string{ss[0].ID}
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	if _, _, err := a.profiles.Attest(ctx, demoEmployer.siret, profiles.Attestation{NIR: learner.nir, Entry: profiles.Entry{
		Kind: profiles.Employment, Title: "Vendeuse en boulangerie", Start: day("2023-01-09"), End: day("2024-12-31"),
		Description: "Accueil et conseil de la clientèle, tenue de caisse, mise en place de la vitrine.",
		Skills:      skillsOf("Accueillir une clientèle"),
	}}); err != nil && !errors.Is(err, marketplace.ErrConflict) {
		return fmt.Errorf("attesting the demo employment: %w", err)
	}
	// A training completed and evaluated, as the enrolment flow would
	// attest it: the first published offer with a certification.
	offers, _, err := a.store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, marketplace.Page{Limit: 20})
	if err != nil {
		return err
	}
	for _, o := range offers {
		if o.Certification.Code == "" {
			continue
		}
		d := marketplace.Dossier{ID: "demo-completed-training", AccountID: learner.id, OfferID: o.ID, ProviderID: o.ProviderID, Title: o.Title,
			State: marketplace.ServiceDoneValidated, Evaluated: true, CompletionRate: 100,
			SessionStart: day("2025-09-01"), SessionEnd: day("2025-12-19"), ExitedAt: day("2025-12-19")}
		if _, _, err := a.profiles.AttestTraining(ctx, a.store, d); err != nil {
			return fmt.Errorf("attesting the demo training: %w", err)
		}
		break
	}
	for _, e := range []profiles.Entry{
		{Kind: profiles.Employment, Title: "Serveuse (saisonnier)", Organisation: "Café du Port", Start: day("2021-06-01"), End: day("2021-09-15"),
			Description: "Service en salle et en terrasse."},
		{Kind: profiles.Training, Title: "Anglais professionnel (B1)", Organisation: "Langues Plus", Start: day("2022-02-01"), End: day("2022-05-31")},
	} {
		if _, err := a.profiles.AddDeclared(ctx, learner.id, e); err != nil {
			return fmt.Errorf("declaring a demo line: %w", err)
		}
	}
	_, _, err = a.profiles.Notary().Publish(ctx)
	return err
}
