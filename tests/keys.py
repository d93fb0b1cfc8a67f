"""The identity keys tests run with (made by 'pathway identity new-key'; for tests only).

Personal identity numbers are stored only encrypted, so every test that enrols with a number
needs a key: the integration contexts and the e2e CLI get TEST_IDENTITY_KEY.
"""

from pathway.store.identity_crypto import IdentityKeys

TEST_IDENTITY_KEY = "TZe2NM58czzvY4laaltmdnVUOxiAERdEPICvUP4WfZo="
#: a second key, for rotation tests
OTHER_IDENTITY_KEY = "XttvZrEldWypHF8qVXeN3SY_8xTE6KLhdpxinS9vea4="

TEST_KEYS = IdentityKeys(TEST_IDENTITY_KEY)
