package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// registerContact adds the learner's contact and bank details page.
func (p *Pages) registerContact(g gin.IRouter) {
	g.GET("/mon-compte/coordonnees", p.handle(p.contactPage))
	g.POST("/mon-compte/coordonnees", p.handle(p.saveContact))
}

// frenchDateTime writes an instant in Paris time: "12 janvier 2027 à 14 h 05".
func frenchDateTime(t time.Time) string {
	l := t.In(marketplace.Paris)
	return frenchDate(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)) + " à " + l.Format("15") + nbsp + "h" + nbsp + l.Format("04")
}

// coolingOffMessage says until when purchases wait.
func coolingOffMessage(until time.Time) string {
	return "Par sécurité, vos coordonnées ayant été modifiées récemment, aucun achat n’est possible avant le " + frenchDateTime(until) + "."
}

// contactView is the data of the contact details page.
type contactView struct {
	Email, Phone, IBAN string // IBAN masked
	HasIBAN            bool
	CoolingOff         string
	Saved              bool
	Errors             map[string]string // by field, in French
}

var contactFieldErrors = map[string]string{
	"email": "Adresse électronique invalide : saisissez une adresse comme prenom.nom@exemple.fr.",
	"phone": "Numéro invalide : saisissez 10 chiffres (06 12 34 56 78) ou un numéro international (+ puis 8 à 15 chiffres).",
	"iban":  "IBAN invalide : la clé de contrôle ne correspond pas ou la longueur est fausse (27 caractères pour un IBAN français).",
}

func (p *Pages) contactView(c *gin.Context, who marketplace.Party) (contactView, marketplace.Contact, error) {
	ct, err := p.Enrolment.Contact(c, who, who.AccountID)
	if err != nil {
		return contactView{}, ct, err
	}
	v := contactView{Email: ct.Email, Phone: ct.Phone, HasIBAN: ct.IBAN != ""}
	if len(ct.IBAN) >= 8 {
		v.IBAN = ct.IBAN[:4] + " •••• " + ct.IBAN[len(ct.IBAN)-4:]
	}
	until, err := p.Enrolment.CoolingOffUntil(c, who.AccountID)
	if err != nil {
		return contactView{}, ct, err
	}
	if until.After(p.Enrolment.Now()) {
		v.CoolingOff = coolingOffMessage(until)
	}
	return v, ct, nil
}

func (p *Pages) contactPage(c *gin.Context) (response, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	v, _, err := p.contactView(c, who)
	if err != nil {
		return response{}, err
	}
	v.Saved = c.Query("fait") == "1"
	c.Header("Cache-Control", "no-store")
	return response{page: "contact.html", title: "Mes coordonnées", nav: "coordonnees", data: v}, nil
}

// saveContact changes the details after a step-up: the learner goes
// through the identity provider again and sends the form once more.
// An empty IBAN field keeps the current IBAN (it is never shown in full);
// the box « supprimer » removes it.
func (p *Pages) saveContact(c *gin.Context) (response, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	if next, err := p.stepUp(c, "/mon-compte/coordonnees"); err != nil {
		return response{}, err
	} else if next != "" {
		c.Redirect(http.StatusSeeOther, next)
		c.Abort()
		return response{}, errRedirected
	}
	v, old, err := p.contactView(c, who)
	if err != nil {
		return response{}, err
	}
	in := marketplace.ContactInput{Email: c.PostForm("email"), Phone: c.PostForm("telephone"), IBAN: c.PostForm("iban")}
	if in.IBAN == "" && c.PostForm("supprimer_iban") != "oui" {
		in.IBAN = old.IBAN
	}
	_, err = p.Enrolment.SetContact(c, who, who.AccountID, in)
	var ve *marketplace.ValidationError
	if errors.As(err, &ve) {
		v.Email, v.Phone = in.Email, in.Phone
		v.Errors = map[string]string{}
		for _, f := range ve.Fields {
			v.Errors[f.Field] = contactFieldErrors[f.Field]
		}
		return response{status: http.StatusUnprocessableEntity, page: "contact.html", title: "Mes coordonnées", nav: "coordonnees", data: v}, nil
	}
	if err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/mon-compte/coordonnees?fait=1")
	c.Abort()
	return response{}, errRedirected
}
