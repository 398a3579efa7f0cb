"""A real sequential peer for benches/fetch.rs: spotipy fetching every album of an artist the
way its documentation shows (artist_albums, then sp.next(page) until next is null), against the
same fake service. Usage: python3 spotipy_albums.py API_BASE ACCOUNTS_BASE ARTIST_ID[,ID…] LIMIT [--tracks]
(several artists: the loop a spotipy user writes, one artist after another).
Prints one line: the number of albums fetched. With --tracks (the seed task of issue 18), every
track of each album too (album_tracks, then sp.next), one request after another, and the number
of tracks is printed instead."""

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
for one in artist.split(","):
    page = sp.artist_albums(one, limit=limit)
    albums += page["items"]
    while page["next"]:
        page = sp.next(page)
        albums += page["items"]
if "--tracks" not in sys.argv[5:]:
    print(len(albums))
    sys.exit(0)
n = 0
for album in albums:
    page = sp.album_tracks(album["id"], limit=50)
    n += len(page["items"])
    while page["next"]:
        page = sp.next(page)
        n += len(page["items"])
print(n)
