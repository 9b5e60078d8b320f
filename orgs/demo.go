package orgs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// DemoIssuer marks the members the demo sign-in makes.
const DemoIssuer = "demo"

// DemoMember returns, for the demo sign-in only, the organisation a demo
// visitor acts for, making it on first use with the visitor as its
// administrator, so that the organisation pages can be tried without an
// identity provider. The organisation's ID and the member's are acting
// (the provider's ID for a provider, the chosen identifier otherwise), so
// that what the visitor may do is unchanged; siret is the provider's, or
// "" to derive a valid one from acting.
func (s *Service) DemoMember(ctx context.Context, role auth.Role, acting, name, siret string) (Organisation, error) {
	if !OrgRole(role) || acting == "" {
		return Organisation{}, fmt.Errorf("demo member: role %s does not belong to an organisation: %w", role, marketplace.ErrInvalid)
	}
	m := Member{ID: acting, Issuer: DemoIssuer, Subject: string(role) + ":" + acting, Name: name, Admin: true, AddedAt: s.clock()}
	if siret == "" {
		siret = demoSIRET(acting)
	}
	o := Organisation{ID: acting, SIRET: siret, Name: name, Role: role, Members: []Member{m}, CreatedAt: s.clock()}
	err := s.store.CreateOrg(ctx, o)
	if err == nil {
		return o, nil
	}
	if !errors.Is(err, marketplace.ErrConflict) {
		return Organisation{}, err
	}
	// Made before: the visitor is (again) one of its administrators.
	return s.update(ctx, acting, func(o *Organisation) error {
		if o.Role != role {
			return fmt.Errorf("demo member: organisation %s is a %s: %w", acting, o.Role, marketplace.ErrConflict)
		}
		for _, x := range o.Members {
			if x.ID == m.ID {
				return nil
			}
		}
		o.Members = append(o.Members, m)
		return nil
	})
}

// demoSIRET derives a valid SIRET (Luhn) from a name, in the 9xx range
// that the demo's providers do not use.
func demoSIRET(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	body := fmt.Sprintf("9%012d", h.Sum64()%1_000_000_000_000)
	return body + string(marketplace.LuhnDigit(body))
}
