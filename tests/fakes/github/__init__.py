"""A stateful fake of GitHub's REST API that the real PyGithub talks to over HTTP.

Usage::

    fake = FakeGitHub()
    fake.add_installation(7001, "acme")
    fake.add_repo("acme/widgets", installation_id=7001)
    with serve_in_thread(create_fake_github_app(fake)) as base:
        auth = Auth.AppAuth(fake.app_id, fake.private_key_pem).get_installation_auth(7001)
        gh = Github(auth=auth, base_url=base, retry=None,
                    seconds_between_requests=None, seconds_between_writes=None)
"""

from .app import create_fake_github_app
from .fake import FakeGitHub
from .keys import KeyPair, generate_key_pair, make_app_jwt

__all__ = ["FakeGitHub", "KeyPair", "create_fake_github_app", "generate_key_pair", "make_app_jwt"]
