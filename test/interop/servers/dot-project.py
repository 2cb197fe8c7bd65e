# A throwaway django-oauth-toolkit project for the interop suite: one file, SQLite in the
# directory given as argv[1]. `setup` migrates and registers the clients (printing their
# credentials and an authorization code as JSON); `serve PORT` runs Django's WSGI app under the
# standard library's server on 127.0.0.1 (no runserver autoreloader, no extra packages).
import json
import os
import sys

directory = sys.argv[1]
KEY_PATH = os.path.join(directory, 'oidc.key')

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY='interop-only-not-a-secret',
    ALLOWED_HOSTS=['127.0.0.1', 'localhost', 'testserver'],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=['django.contrib.auth', 'django.contrib.contenttypes', 'django.contrib.sessions', 'oauth2_provider'],
    # As `django-admin startproject` has it: CommonMiddleware answers the slash-less URL with a 301.
    MIDDLEWARE=['django.middleware.common.CommonMiddleware', 'django.contrib.sessions.middleware.SessionMiddleware',
                'django.contrib.auth.middleware.AuthenticationMiddleware'],
    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.path.join(directory, 'db.sqlite3')}},
    DEFAULT_AUTO_FIELD='django.db.models.AutoField',
    USE_TZ=True,
    OAUTH2_PROVIDER={
        'OIDC_ENABLED': True,
        'OIDC_RSA_PRIVATE_KEY': open(KEY_PATH).read() if os.path.exists(KEY_PATH) else '',
        'SCOPES': {'openid': 'OpenID Connect', 'read': 'Read', 'introspection': 'Introspect tokens'},
        'DEFAULT_SCOPES': ['read'],
        'PKCE_REQUIRED': False,
    },
)
django.setup()

from django.urls import include, path  # noqa: E402

urlpatterns = [path('o/', include('oauth2_provider.urls', namespace='oauth2_provider'))]


def setup():
    from django.core.management import call_command
    from django.contrib.auth import get_user_model
    from django.test import Client
    from oauth2_provider.models import get_application_model
    from urllib.parse import urlparse, parse_qs

    call_command('migrate', verbosity=0)
    Application = get_application_model()
    user = get_user_model().objects.create_user('alice', password='interop-alice')
    clients = {}
    for name, grant, extra in [
        ('api-client', Application.GRANT_CLIENT_CREDENTIALS, {}),
        ('other-client', Application.GRANT_CLIENT_CREDENTIALS, {}),
        ('resource-server', Application.GRANT_CLIENT_CREDENTIALS, {}),
        ('web-app', Application.GRANT_AUTHORIZATION_CODE, {
            'redirect_uris': 'http://127.0.0.1/callback', 'skip_authorization': True, 'algorithm': Application.RS256_ALGORITHM,
        }),
    ]:
        secret = name + '-secret-0123456789'
        Application.objects.create(
            name=name, client_id=name, client_secret=secret, user=user,
            client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=grant, **extra)
        clients[name] = {'clientId': name, 'clientSecret': secret}
    # The user's consent step, in-process (the code is then redeemed over HTTP like any client's).
    browser = Client()
    browser.force_login(user)
    answer = browser.get('/o/authorize/', {
        'response_type': 'code', 'client_id': 'web-app', 'scope': 'openid read',
        'redirect_uri': 'http://127.0.0.1/callback', 'state': 'interop',
    })
    location = answer.get('Location', '')
    code = parse_qs(urlparse(location).query).get('code', [None])[0]
    if code is None:
        raise SystemExit('no authorization code: %s %s' % (answer.status_code, location))
    print(json.dumps({'clients': clients, 'code': code, 'redirectUri': 'http://127.0.0.1/callback'}))


def serve(port):
    from wsgiref.simple_server import make_server, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server('127.0.0.1', int(port), get_wsgi_application(), handler_class=QuietHandler)
    print('listening on %d' % server.server_port, flush=True)
    server.serve_forever()


if sys.argv[2] == 'setup':
    setup()
else:
    serve(sys.argv[3])
