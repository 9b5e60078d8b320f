package web

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// transparencyView is the data of the transparency page.
type transparencyView struct {
	Computed    bool
	When        string
	Queries     string
	Clients     string
	TopK        string
	Exposure    string
	Precedence  string
	Slots       string
	Pairs       string
	Rotation    string
	ProviderCap string
}

// transparency explains the ranking and shows the neutrality indicators.
func (p *Pages) transparency(c *gin.Context) (response, error) {
	o := p.Index.Options()
	v := transparencyView{Rotation: rotation(o.Keys.Period().Hours())}
	if o.ProviderCap > 0 {
		v.ProviderCap = strconv.Itoa(o.ProviderCap)
	}
	if p.Neutrality != nil {
		if ind, ok := p.Neutrality.Latest(); ok {
			v.Computed = true
			v.When = frenchDate(ind.ComputedAt) + " à " + ind.ComputedAt.Format("15:04") + " (UTC)"
			v.Queries = count(ind.Queries, "recherche", "recherches")
			v.Clients = count(ind.Clients, "adresse", "adresses")
			v.TopK = strconv.Itoa(ind.TopK)
			v.Exposure = strings.Replace(strconv.FormatFloat(ind.ExposureDisparity, 'f', 3, 64), ".", ",", 1)
			v.Precedence = strings.Replace(strconv.FormatFloat(ind.SystematicPrecedence, 'f', 3, 64), ".", ",", 1)
			v.Slots = count(ind.ExposureSlots, "position", "positions")
			v.Pairs = count(ind.Pairs, "paire", "paires")
		}
	}
	c.Header("Cache-Control", "public, max-age=300")
	return response{page: "transparence.html", title: "Transparence du classement", nav: "transparence", data: v}, nil
}

// rotation writes a key period in French.
func rotation(h float64) string {
	switch {
	case h == 24:
		return "chaque jour"
	case h >= 24 && int(h)%24 == 0:
		return "tous les " + strconv.Itoa(int(h)/24) + nbsp + "jours"
	case h >= 1 && h == float64(int(h)):
		return "toutes les " + strconv.Itoa(int(h)) + nbsp + "heures"
	}
	return "toutes les " + strconv.Itoa(int(h*60)) + nbsp + "minutes"
}
