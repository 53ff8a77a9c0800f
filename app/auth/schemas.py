"""Request and response models of the login API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoginBody(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="the code from wx.login")


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class LoginUser(BaseModel):
    id: str
    is_new_user: bool
    has_phone: bool


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int


class LoginOut(TokenPairOut):
    user: LoginUser
