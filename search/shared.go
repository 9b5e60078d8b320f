package search

// Set makes ind the latest indicators, as when several replicas share
// one measure: one replica runs it and the others take its figures, so
// that every replica publishes the same ones.
func (m *Monitor) Set(ind Indicators) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = &ind
}
