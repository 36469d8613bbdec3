package engine

import "testing"

func TestWebhookURLAppendsThePath(t *testing.T) {
	for _, c := range []struct{ endpoint, path, want string }{
		{"https://stock.example.com/hooks", "", "https://stock.example.com/hooks"},
		{"https://stock.example.com/hooks", "/orders", "https://stock.example.com/hooks/orders"},
		{"https://stock.example.com/hooks/", "/orders", "https://stock.example.com/hooks/orders"},
		{"https://stock.example.com", "/orders", "https://stock.example.com/orders"},
		{"https://stock.example.com/hooks?token=abc", "/orders", "https://stock.example.com/hooks/orders?token=abc"},
	} {
		if got := webhookURL(c.endpoint, c.path); got != c.want {
			t.Errorf("webhookURL(%q, %q) = %q, want %q", c.endpoint, c.path, got, c.want)
		}
	}
}
