// Package skillmodel asks an OpenAI-compatible chat-completions server
// which skills a job offer's text asks for, with structured output (a JSON
// schema the answer must follow). It implements matching.SkillModel and is
// built only when matching.skill_model.base_url is configured.
package skillmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
)

// Client is a matching.SkillModel over the chat-completions API. It is
// safe for concurrent use.
type Client struct {
	api   *openai.Client
	model string
}

var _ matching.SkillModel = (*Client)(nil)

// New returns a client for the server at baseURL (ending in /v1 for most
// servers), using model, with apiKey as bearer token (may be empty for a
// local server). hc may be nil; the caller's context bounds each call.
func New(baseURL, model, apiKey string, hc *http.Client) *Client {
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = strings.TrimSuffix(baseURL, "/")
	if hc != nil {
		cfg.HTTPClient = hc
	}
	return &Client{api: openai.NewClientWithConfig(cfg), model: model}
}

// schema is the structured output asked for.
type schema struct{}

func (schema) MarshalJSON() ([]byte, error) {
	return []byte(`{"type":"object","additionalProperties":false,"required":["skills"],"properties":{"skills":{"type":"array","items":{` +
		`"type":"object","additionalProperties":false,"required":["id","label","essential"],"properties":{` +
		`"id":{"type":"string"},"label":{"type":"string"},"essential":{"type":"boolean"}}}}}}`), nil
}

const instructions = `Tu lis une offre d'emploi française et tu indiques les compétences qu'elle demande.
Choisis d'abord parmi les compétences candidates (donne leur "id"); pour une compétence demandée qui n'y figure pas,
donne "id" vide et son intitulé dans "label". "essential" vaut true pour une compétence indispensable au poste.
Ne déduis rien de l'âge, du sexe, de l'origine ou de toute autre caractéristique personnelle: seules les compétences comptent.`

// SuggestSkills implements matching.SkillModel.
func (c *Client) SuggestSkills(ctx context.Context, title, text string, candidates []skills.Requirement) ([]matching.ModelSkill, error) {
	var list strings.Builder
	for _, r := range candidates {
		fmt.Fprintf(&list, "- %s: %s\n", r.Skill.ID, r.Skill.Label)
	}
	resp, err := c.api.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:       c.model,
		Temperature: 0,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: instructions},
			{Role: openai.ChatMessageRoleUser, Content: "Compétences candidates:\n" + list.String() + "\nIntitulé: " + title + "\n\nOffre:\n" + text},
		},
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "job_skills", Schema: schema{}, Strict: true},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("skill model: %w", err)
	}
	if len(resp.Choices) == 0 {
		return nil, errors.New("skill model: no choice in the answer")
	}
	var out struct {
		Skills []matching.ModelSkill `json:"skills"`
	}
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &out); err != nil {
		return nil, fmt.Errorf("skill model: the answer does not follow the schema: %w", err)
	}
	if len(out.Skills) > 100 {
		out.Skills = out.Skills[:100]
	}
	return out.Skills, nil
}
