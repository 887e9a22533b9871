"""What every browser test does first."""

from tests.organizations.factories import PASSWORD


def log_in(page, url: str, username: str) -> None:
    """Log in through the real login form at ``url`` (a page that asks for it)."""
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
