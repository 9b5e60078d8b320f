package geo

// Place resolves a commune's department, region and coordinates; it makes
// a Gazetteer usable as the marketplace's marketplace.Places.
func (g *Gazetteer) Place(insee string) (department, region string, lat, lon float64, ok bool) {
	c, ok := g.Commune(insee)
	if !ok {
		return "", "", 0, 0, false
	}
	return c.Department, c.Region, c.Lat, c.Lon, true
}
