package recommend

import (
	"strings"
	"testing"
)

func TestEvaluationBeatsPopularity(t *testing.T) {
	pop := Generate(PopulationConfig{Seed: 1})
	rep := Evaluate(pop, ModelConfig{ALS: ALSConfig{Seed: 1}}, Options{})
	var b strings.Builder
	rep.Write(&b)
	t.Log("\n" + b.String())
	blend, popular := rep.Row("blended"), rep.Row("popularity")
	if blend.HR < 2*popular.HR {
		t.Errorf("HR@10 %.4f < 2 × popularity %.4f", blend.HR, popular.HR)
	}
	if blend.NDCG < 2*popular.NDCG {
		t.Errorf("NDCG@10 %.4f < 2 × popularity %.4f", blend.NDCG, popular.NDCG)
	}
	if rep.Row("random").HR >= blend.HR {
		t.Errorf("random HR %.4f not below blended %.4f", rep.Row("random").HR, blend.HR)
	}
}
