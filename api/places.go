package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// CommuneOutput is a commune of the gazetteer.
type CommuneOutput struct {
	INSEE       string   `json:"insee"`
	Name        string   `json:"name"`
	Postcodes   []string `json:"postcodes"`
	Department  string   `json:"department"`
	Region      string   `json:"region"`
	Population  int      `json:"population"`
	Location    Location `json:"location"`
	Approximate bool     `json:"approximate_location"`
}

// CommuneList is the answer of a commune search.
type CommuneList struct {
	Results []CommuneOutput `json:"results"`
}

// RegionOutput is a region with its departments.
type RegionOutput struct {
	Code        string             `json:"code"`
	Name        string             `json:"name"`
	Departments []DepartmentOutput `json:"departments"`
}

// DepartmentOutput is a department.
type DepartmentOutput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// RegionList is every region.
type RegionList struct {
	Results []RegionOutput `json:"results"`
}

func communeOutput(c geo.Commune) CommuneOutput {
	pcs := c.Postcodes
	if pcs == nil {
		pcs = []string{}
	}
	return CommuneOutput{INSEE: c.INSEE, Name: c.Name, Postcodes: pcs, Department: c.Department, Region: c.Region,
		Population: c.Population, Location: Location{Lat: c.Lat, Lon: c.Lon}, Approximate: c.Approximate}
}

// searchCommunes finds communes by name prefix or postcode, for the
// place box of search forms.
func (s *Server) searchCommunes(c *gin.Context) error {
	q := c.Query("q")
	if q == "" || len(q) > 100 {
		return invalid("q", "is required: a name prefix or a postcode, at most 100 bytes")
	}
	n, err := queryInt(c, "limit", 10, 1, 50)
	if err != nil {
		return err
	}
	var found []geo.Commune
	if len(q) == 5 && isDigits(q) {
		found = s.Places.ByPostcode(q)
		if len(found) > n {
			found = found[:n]
		}
	} else {
		found = s.Places.Search(q, n)
	}
	out := CommuneList{Results: make([]CommuneOutput, 0, len(found))}
	for _, cm := range found {
		out.Results = append(out.Results, communeOutput(cm))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) getCommune(c *gin.Context) error {
	code := c.Param("insee")
	if !geo.ValidINSEE(code) {
		return invalid("insee", "%q is not an INSEE commune code (5 characters, e.g. 75056 or 2A004)", code)
	}
	cm, ok := s.Places.Commune(code)
	if !ok {
		return marketplace.ErrNotFound
	}
	c.JSON(http.StatusOK, communeOutput(cm))
	return nil
}

func (s *Server) listRegions(c *gin.Context) error {
	byRegion := map[string][]DepartmentOutput{}
	for _, d := range s.Places.Departments() {
		byRegion[d.Region] = append(byRegion[d.Region], DepartmentOutput{Code: d.Code, Name: d.Name})
	}
	out := RegionList{}
	for _, r := range s.Places.Regions() {
		out.Results = append(out.Results, RegionOutput{Code: r.Code, Name: r.Name, Departments: byRegion[r.Code]})
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.JSON(http.StatusOK, out)
	return nil
}
