package skills

// Certification returns a certification of the referential by its code
// (RNCP or RS), and whether the graph knows it. The automatic controls use
// it to tell registered certifications apart.
func (g *Embedded) Certification(code string) (Certification, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c, ok := g.certs[code]
	if !ok || c == nil {
		return Certification{}, false
	}
	return *c, true
}
