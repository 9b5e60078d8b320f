package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/marketplace"
)

// contactRoutes registers a learner's contact and bank details. Changing
// them moves money in effect (the remaining charge is refunded to the
// IBAN; notices go to the contact), so it needs a step-up.
func (s *Server) contactRoutes(v1 *gin.RouterGroup) {
	v1.GET("/accounts/:id/contact", s.handler(s.getContact))
	v1.PUT("/accounts/:id/contact", s.handler(s.putContact))
}

// ContactInput replaces a learner's details; an empty field removes it.
type ContactInput struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
	IBAN  string `json:"iban"`
}

// ContactOutput is a learner's details. The IBAN is shown masked: the
// learner recognises it, a stolen token does not reveal it.
type ContactOutput struct {
	Email           string     `json:"email"`
	Phone           string     `json:"phone"`
	IBAN            string     `json:"iban_masked"`
	ChangedAt       *time.Time `json:"changed_at,omitempty"`
	CoolingOffUntil *time.Time `json:"cooling_off_until,omitempty"`
}

// MaskIBAN keeps an IBAN's country, check digits and last four characters.
func MaskIBAN(iban string) string {
	if len(iban) < 8 {
		return ""
	}
	return iban[:4] + " •••• " + iban[len(iban)-4:]
}

func (s *Server) contactOutput(c *gin.Context, ct marketplace.Contact) (ContactOutput, error) {
	out := ContactOutput{Email: ct.Email, Phone: ct.Phone, IBAN: MaskIBAN(ct.IBAN)}
	if !ct.ChangedAt.IsZero() {
		at := ct.ChangedAt.UTC()
		out.ChangedAt = &at
	}
	until, err := s.Enrolment.CoolingOffUntil(c, ct.AccountID)
	if err != nil {
		return out, err
	}
	if until.After(s.Enrolment.Now()) {
		u := until.UTC()
		out.CoolingOffUntil = &u
	}
	return out, nil
}

func (s *Server) getContact(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ct, err := s.Enrolment.Contact(c, who, id)
	if err != nil {
		return err
	}
	out, err := s.contactOutput(c, ct)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) putContact(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	if err := s.steppedUp(c); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ContactInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ct, err := s.Enrolment.SetContact(c, who, id, marketplace.ContactInput{Email: in.Email, Phone: in.Phone, IBAN: in.IBAN})
	if err != nil {
		return err
	}
	out, err := s.contactOutput(c, ct)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}
