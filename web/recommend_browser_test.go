package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/matching/recommend"
)

// startBrowser starts chromium as TestBrowser does, on a tab whose base is
// base; the browser stops with the test.
func startBrowser(t *testing.T, base string) *browser {
	t.Helper()
	chromium, axe, shots := browserTools(t)
	var out lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("force-color-profile", "srgb"), chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 700), chromedp.CombinedOutput(&out),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 700)); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: base, axe: string(axe), shots: shots}
}

// partnerPage is a third-party site's page embedding the widget; it marks
// the body once the widget's frame has loaded, whatever it shows.
func partnerPage(parcours, key string) http.Handler {
	html := fmt.Sprintf(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Mission locale – Se former</title></head>
<body><main><h1>Se former près de chez soi</h1>
<p>Des formations choisies pour vous par le service public Parcours :</p>
<script>
new MutationObserver(function (ms, obs) {
  var f = document.querySelector("iframe.parcours-widget");
  if (f) { obs.disconnect(); f.addEventListener("load", function () { document.body.setAttribute("data-cadre", "charge"); }); }
}).observe(document.body, {childList: true, subtree: true});
</script>
<script src="%s/widget.js" data-key="%s" data-occupation="M1805" data-commune="75056"></script>
</main></body></html>`, parcours, key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	})
}

// TestBrowserWidget embeds the widget in a page served from another
// loopback origin: it shows recommendations there, and nothing on a page
// of an origin its key does not allow.
func TestBrowserWidget(t *testing.T) {
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 20, Offers: 400, Now: time.Now()}, geo.Default())
	s := newStack(t, true, &cat)
	ts := httptest.NewServer(s.server)
	defer ts.Close()
	b := startBrowser(t, ts.URL)
	// The partner servers are started before the key names their origins.
	allowed := httptest.NewServer(nil)
	defer allowed.Close()
	other := httptest.NewServer(nil)
	defer other.Close()
	k, err := s.widget.Issue(context.Background(), recommend.NewKeyInput{Site: "Mission locale", Origins: []string{allowed.URL}})
	if err != nil {
		t.Fatal(err)
	}
	allowed.Config.Handler = partnerPage(ts.URL, k.ID)
	other.Config.Handler = partnerPage(ts.URL, k.ID)

	frameOf := func() *chromedp.Node {
		b.waitVisible(`body[data-cadre="charge"]`)
		nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSS("iframe.parcours-widget")))
		if err != nil || len(nodes) != 1 {
			t.Fatalf("widget frame: %v %d", err, len(nodes))
		}
		return nodes[0]
	}
	childFrame := func() *page.FrameTree {
		tree, err := chromedp.Call(b.ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tree.FrameTree.ChildFrames) != 1 {
			t.Fatalf("%d child frames", len(tree.FrameTree.ChildFrames))
		}
		return tree.FrameTree.ChildFrames[0]
	}

	t.Run("allowed origin", func(t *testing.T) {
		b.t = t
		if _, err := chromedp.Run(b.ctx, chromedp.Navigate(allowed.URL+"/se-former")); err != nil {
			t.Fatal(err)
		}
		frame := frameOf()
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		titles, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".parcours-reco-liste"), chromedp.FromNode(frame)))
		if err != nil {
			t.Fatalf("no recommendation in the frame: %v", err)
		}
		if !strings.Contains(titles, "qu’exige le métier Études et développement informatique") {
			t.Errorf("frame shows %q", titles)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(".parcours-reco-liste > li"), chromedp.FromNode(frame))); len(n) < 2 {
			t.Errorf("%d recommendations in the frame", len(n))
		}
		if u := childFrame().Frame.URL; !strings.HasPrefix(u, ts.URL+"/widget/cadre?") {
			t.Errorf("frame at %s", u)
		}
		// widget.js sized the frame to its content.
		if h := b.eval(`document.querySelector("iframe.parcours-widget").style.height`); h == "22rem" || h == "" {
			t.Errorf("frame height %q: the frame did not tell its height", h)
		}
		b.check("widget-site-partenaire")
		if os.Getenv("PARCOURS_UPDATE_SCREENSHOT") == "1" {
			shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(repoRoot(t), "docs", "widget.png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("origin not allowed", func(t *testing.T) {
		b.t = t
		if _, err := chromedp.Run(b.ctx, chromedp.Navigate(other.URL+"/se-former")); err != nil {
			t.Fatal(err)
		}
		frameOf()
		f := childFrame()
		t.Logf("frame on the other origin: url %q, unreachable %q", f.Frame.URL, f.Frame.UnreachableURL)
		if f.Frame.URL != "" && strings.HasPrefix(f.Frame.URL, ts.URL) && f.Frame.UnreachableURL == "" {
			t.Errorf("the frame loaded on an origin the key does not allow: %+v", f.Frame)
		}
	})

	t.Run("frame alone is accessible", func(t *testing.T) {
		b.t = t
		b.open("/widget/cadre?cle="+k.ID+"&metier=M1805&commune=75056", 200)
		b.check("widget-cadre")
	})
}

// TestBrowserAccountRecommendations sets a target and a commune on the
// learner's page and finds the recommendations there.
func TestBrowserAccountRecommendations(t *testing.T) {
	s := newStack(t, true, nil)
	ts := httptest.NewServer(s.server)
	defer ts.Close()
	b := startBrowser(t, ts.URL)
	acct := s.learnerAccount(t, "255081416802538", 3000_00)
	b.open("/connexion-demo", 200)
	b.do(chromedp.Click(chromedp.CSS("#role-learner")))
	b.do(chromedp.SendKeys(chromedp.CSS("#identifiant"), acct))
	b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
	b.open("/mon-compte", 200)
	b.waitVisible("#titre-recommandations")
	b.eval(`document.querySelector("#reco-metier").value = "M1805"; ""`)
	b.do(chromedp.SendKeys(chromedp.CSS("#reco-commune"), "75001"))
	b.navigate(chromedp.Click(chromedp.CSS(".preferences-recommandations button[type=submit]")), 200)
	if n := b.count(".liste-recommandations .recommandation"); n < 1 {
		t.Fatal("no recommendation after choosing a target and a commune")
	}
	if r := b.text(".recommandation .raisons"); !strings.Contains(r, "qui vous manquent pour Études et développement informatique") {
		t.Errorf("reasons %q", r)
	}
	b.check("30-mon-compte-recommandations")
}
