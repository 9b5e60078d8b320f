package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/web"
)

// orgStore is what organisations and the sign-in counters need of a backend.
type orgStore interface {
	orgs.Store
	auth.AttemptStore
}

func init() {
	// Sign-in counters whose window has ended are deleted; reading a
	// counter never needs them.
	registerJobs(func(a *app, log *slog.Logger) ([]jobs.Job, error) {
		return []jobs.Job{{Name: "sweep-sign-in-attempts", Schedule: "*/15 * * * *", Run: func(ctx context.Context) error {
			n, err := a.orgStore().SweepAttempts(ctx, time.Now())
			if n > 0 {
				log.Info("ended sign-in counters deleted", "records", n)
			}
			return err
		}}}, nil
	})
}

// orgStore is the backend's organisations and counters: every backend
// keeps them.
func (a *app) orgStore() orgStore {
	if a.bolt != nil {
		return a.bolt
	}
	return a.mongo
}

// newOrgs builds the organisations service.
func (a *app) newOrgs() *orgs.Service {
	return orgs.NewService(a.orgStore(), a.store, a.sessions, orgs.Config{InvitationTTL: a.cfg.Auth.Organisations.InvitationTTL})
}

// signInLimits are the configured sign-in limits.
func signInLimits(cfg config.Config) web.SignInLimits {
	l := cfg.Auth.SignInLimits
	return web.SignInLimits{PerIP: auth.Limit{Max: l.PerIP, Window: l.Window}, PerAccount: auth.Limit{Max: l.PerAccount, Window: l.Window}}
}

// orgProvider is the organisations' OpenID Provider, when configured.
func orgProvider(cfg config.Config, base string, secret string) []web.IdentityProvider {
	o := cfg.Auth.OrgOIDC
	if o.Issuer == "" {
		return nil
	}
	return []web.IdentityProvider{{
		Name: "organisations", Label: o.Label, Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret,
		RedirectURL: base + "/connexion/retour", PostLogoutURL: base + "/", Scopes: o.Scopes, ACR: o.ACR,
		Kind: web.KindOrganisations,
	}}
}
