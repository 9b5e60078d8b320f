package matching

import (
	"github.com/prometheus/client_golang/prometheus"
	dtomodel "github.com/prometheus/client_model/go"

	"github.com/parcours/parcours/marketplace"
)

func counterValue(c prometheus.Counter) float64 {
	var m dtomodel.Metric
	if err := c.Write(&m); err != nil || m.Counter == nil {
		return 0
	}
	return m.Counter.GetValue()
}

func fieldError(field, reason string) error {
	v := &marketplace.ValidationError{}
	v.Add(field, "%s", reason)
	return v
}
