"""The seed task as a spotipy user writes it, for benches/fetch.rs: every album of an artist
(artist_albums, then sp.next until next is null), then every track of each album
(album_tracks, then sp.next), one request after another, against the same fake service.
Usage: python3 spotipy_seed.py API_BASE ACCOUNTS_BASE ARTIST_ID ALBUM_LIMIT
Prints one line: the number of tracks fetched."""

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
albums = []
page = sp.artist_albums(artist, limit=limit)
albums += page["items"]
while page["next"]:
    page = sp.next(page)
    albums += page["items"]
n = 0
for album in albums:
    page = sp.album_tracks(album["id"], limit=50)
    n += len(page["items"])
    while page["next"]:
        page = sp.next(page)
        n += len(page["items"])
print(n)
