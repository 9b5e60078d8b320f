package marketplace

import (
	"context"
	"fmt"
	"slices"
)

// Gate screens an offer its provider asks to publish (package controls
// provides it): an offer it does not admit is saved in the Review status
// and waits for a controller instead of being published.
// Implementations are safe for concurrent use.
type Gate interface {
	// Admit screens o, about to be published; old is the stored offer (nil
	// for a new one). An error refuses the write: ErrNotPublishable for a
	// provider whose publications are suspended.
	Admit(ctx context.Context, o Offer, old *Offer) (GateVerdict, error)
	// Gated is told the verdict once the offer is saved.
	Gated(ctx context.Context, o Offer, v GateVerdict)
}

// GateVerdict is a Gate's answer.
type GateVerdict struct {
	Screened bool // the gate read the offer (false: nothing to screen)
	Review   bool // the offer waits for a controller
	Reason   string
	Detail   any // the gate's own findings, handed back to Gated
}

// SetGate installs the publication gate. It must be called before the
// service is used concurrently.
func (c *CatalogueService) SetGate(g Gate) { c.gate = g }

// admit runs the gate on an offer asked to be published, unless it is
// already published with the same texts and certification.
func (c *CatalogueService) admit(ctx context.Context, o *Offer, old *Offer) (GateVerdict, error) {
	if c.gate == nil || o.Status != Published {
		return GateVerdict{}, nil
	}
	if old != nil && old.Status == Published && sameText(*o, *old) {
		return GateVerdict{}, nil
	}
	v, err := c.gate.Admit(ctx, *o, old)
	if err != nil {
		return GateVerdict{}, err
	}
	if v.Review {
		o.Status = Review
	}
	return v, nil
}

func (c *CatalogueService) gated(ctx context.Context, o Offer, v GateVerdict) {
	if c.gate != nil && v.Screened {
		c.gate.Gated(ctx, o, v)
	}
}

func sameText(a, b Offer) bool {
	return a.Title == b.Title && a.Description == b.Description && a.Objectives == b.Objectives &&
		a.Certification.Code == b.Certification.Code && slices.Equal(a.Skills, b.Skills)
}

// SetOfferStatus is a controller's decision on an offer, past the gate:
// Published for an offer in review (its provider must still hold a valid
// Qualiopi certification), Unpublished for any offer.
func (c *CatalogueService) SetOfferStatus(ctx context.Context, id string, status Status) (Offer, error) {
	o, err := c.store.Offer(ctx, id)
	if err != nil {
		return Offer{}, err
	}
	switch {
	case status == Unpublished:
		if o.Status == Unpublished {
			return o, nil
		}
	case status == Published && o.Status == Review:
		p, err := c.store.Provider(ctx, o.ProviderID)
		if err != nil {
			return Offer{}, err
		}
		if !p.CanPublishAt(c.now()) {
			return Offer{}, fmt.Errorf("provider %s has no valid Qualiopi certification: %w", p.ID, ErrNotPublishable)
		}
	case status == Published:
		return Offer{}, fmt.Errorf("offer %s is %s, not waiting for review: %w", id, o.Status, ErrConflict)
	default:
		var v ValidationError
		v.Add("status", "a controller publishes an offer in review or unpublishes one")
		return Offer{}, &v
	}
	prev := o.UpdatedAt
	o.Status, o.UpdatedAt = status, c.later(prev)
	if err := c.store.UpdateOffer(ctx, o, prev); err != nil {
		return Offer{}, err
	}
	c.saved(ctx, o)
	return o, nil
}
