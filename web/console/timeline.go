package console

import "github.com/labstack/echo/v4"

// designerTimeline is the REST API's timeline for the designer's time
// travel, behind the console's sign-in, its errors answered as JSON to
// the page's script.
func (s *Console) designerTimeline(c echo.Context) error {
	if err := s.timeline(c); err != nil {
		return s.writeError(c, err)
	}
	return nil
}
