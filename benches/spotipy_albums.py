"""A real sequential peer for benches/fetch.rs: spotipy fetching every album of an artist the
way its documentation shows (artist_albums, then sp.next(page) until next is null), against the
same fake service. Usage: python3 spotipy_albums.py API_BASE ACCOUNTS_BASE ARTIST_ID[,ID…] LIMIT
(several artists: the loop a spotipy user writes, one artist after another).
Prints one line: the number of albums fetched."""

import sys

import spotipy
from spotipy.oauth2 import SpotifyClientCredentials

api_base, accounts_base, artist, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SpotifyClientCredentials.OAUTH_TOKEN_URL = accounts_base + "/api/token"
auth = SpotifyClientCredentials(
    client_id="0123456789abcdef0123456789abcdef",
    client_secret="f0e1d2c3b4a5968778695a4b3c2d1e0f",
    cache_handler=spotipy.cache_handler.MemoryCacheHandler(),
)
sp = spotipy.Spotify(auth_manager=auth)
sp.prefix = api_base + "/"
n = 0
for one in artist.split(","):
    page = sp.artist_albums(one, limit=limit)
    n += len(page["items"])
    while page["next"]:
        page = sp.next(page)
        n += len(page["items"])
print(n)
